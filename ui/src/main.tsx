import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Session } from './features/session/Session';
import './styles.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <Session />
    </StrictMode>,
  );
}

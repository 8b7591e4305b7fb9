import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Session } from './features/session/Session';
import './styles.css';

// The last person's theme for the sign-in screen; their settings take over once signed in.
document.documentElement.dataset.theme = localStorage.getItem('zc-theme') === 'light' ? 'light' : 'dark';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <Session />
    </StrictMode>,
  );
}

// The local alarm tone: made in the page (Web Audio), so it needs no network and no file. Muted
// per console (kept in this console's storage), never per alarm.
const MUTE_KEY = 'zc-alarm-sound';

export function isMuted(): boolean {
  return localStorage.getItem(MUTE_KEY) === 'muted';
}

export function setMuted(muted: boolean): void {
  localStorage.setItem(MUTE_KEY, muted ? 'muted' : 'on');
}

let context: AudioContext | null = null;

/// Two short tones, as control-room annunciators do for a high-priority alarm.
export function soundAlarm(): void {
  if (isMuted()) return;
  try {
    context ??= new AudioContext();
    const ctx = context;
    for (const [i, freq] of [880, 660].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.value = 0.15;
      osc.connect(gain).connect(ctx.destination);
      const at = ctx.currentTime + i * 0.25;
      osc.start(at);
      osc.stop(at + 0.2);
    }
  } catch {
    // No audio device: the banner still shows the alarm.
  }
}

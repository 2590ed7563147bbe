import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { SessionProvider } from './api/session';
import { Overlays } from './components/ui';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider>
      <Overlays>
        <App />
      </Overlays>
    </SessionProvider>
  </StrictMode>,
);

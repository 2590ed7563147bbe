// The shared stylesheet first, so a page's own CSS (bundled with its module) wins over it at equal specificity.
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { SessionProvider } from './api/session';
import { Overlays } from './components/ui';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider>
      <Overlays>
        <App />
      </Overlays>
    </SessionProvider>
  </StrictMode>,
);

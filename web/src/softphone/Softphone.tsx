// Placeholder until the softphone lands (issue 7): pages call `useSoftphone().call(to, label)`.
import { createContext, useContext, type ReactNode } from 'react';

interface Softphone {
  /** Places a browser call to an extension or number of the acting account. */
  call(to: string, label?: string): void;
}

const SoftphoneContext = createContext<Softphone>({ call: () => {} });

export function useSoftphone(): Softphone {
  return useContext(SoftphoneContext);
}

export function SoftphoneProvider({ children }: { children: ReactNode }) {
  return <SoftphoneContext.Provider value={{ call: () => {} }}>{children}</SoftphoneContext.Provider>;
}

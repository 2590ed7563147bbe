// What a phone needs to register as a device: username, password, domain (the account's realm), Pivot's SIP address
// and port, and ready-to-paste settings (a baresip account line; the fields other softphones ask for). The device's
// registration is shown live underneath, so "did my phone register?" is answered in the same place.

import { useEffect, useState } from 'react';
import { Modal, Button, Spinner } from '../components/ui';
import { CopyButton, SecretValue, relative, useNow } from './parts';

export interface SipServer {
  realm?: string;
  host?: string;
  udp_port?: number;
  tcp_port?: number;
}

export interface Contact {
  contact: string;
  source: string;
  expires?: number;
  expires_in?: number;
  expires_at?: string;
  registered_at?: string;
  user_agent?: string;
}

export interface Registration {
  registered: boolean;
  contacts: Contact[];
}

export interface DeviceCreds {
  id: string;
  name?: string;
  enabled?: boolean;
  sip?: { username?: string; password?: string };
}

/** The address phones reach Pivot at: the one this page was loaded from, which the phone can most likely reach too. */
export function sipHost(): string {
  return window.location.hostname || '127.0.0.1';
}

export function baresipLine(d: DeviceCreds, server: SipServer, password: string): string {
  const port = server.udp_port ?? server.tcp_port ?? 5060;
  return `<sip:${d.sip?.username ?? ''}@${server.realm ?? ''}>;auth_pass=${password};outbound="sip:${sipHost()}:${port}";regint=300`;
}

export function RegistrationSummary({ reg, enabled }: { reg: Registration | undefined; enabled?: boolean }) {
  const now = useNow(5000);
  if (enabled === false) return <span className="badge">disabled</span>;
  if (!reg)
    return (
      <span className="badge" title="The SIP runtime is not running">
        unknown
      </span>
    );
  if (!reg.registered) return <span className="badge badge-warn">not registered</span>;
  const c = reg.contacts[0];
  return (
    <>
      <span className="badge badge-ok">registered</span>
      {c ? (
        <span className="sub">
          <span className="mono">{c.source}</span>
          {c.expires_at ? ` · expires ${relative(c.expires_at, now)}` : ''}
          {c.user_agent ? ` · ${c.user_agent}` : ''}
          {reg.contacts.length > 1 ? ` · +${reg.contacts.length - 1} more` : ''}
        </span>
      ) : null}
    </>
  );
}

export function SipCredentialsDialog({
  device,
  server,
  registration,
  justCreated,
  onClose,
}: {
  device: DeviceCreds | undefined;
  server: SipServer | undefined;
  registration: Registration | undefined;
  justCreated: boolean;
  onClose: () => void;
}) {
  const now = useNow(5000);
  const [shown, setShown] = useState(false);
  const open = !!device;
  // Each device opens with its password hidden.
  useEffect(() => setShown(false), [device?.id]);
  const username = device?.sip?.username ?? '';
  const password = device?.sip?.password;
  const port = server?.udp_port ?? server?.tcp_port;
  const transports = [server?.udp_port ? 'UDP' : '', server?.tcp_port ? 'TCP' : ''].filter(Boolean).join(' or ');
  const hostPort = port ? `${sipHost()}:${port}` : undefined;
  return (
    <Modal
      title={
        justCreated
          ? `“${device?.name ?? 'Device'}” is ready: its SIP credentials`
          : `SIP credentials of “${device?.name ?? 'device'}”`
      }
      open={open}
      onClose={onClose}
      wide
      footer={
        <Button variant="primary" onClick={onClose}>
          Done
        </Button>
      }
    >
      {device ? (
        <div className="sip-creds">
          <p className="muted">
            Enter these in the phone or softphone. The phone registers to the domain with Pivot as its outbound proxy;
            you can come back to these settings with <strong>Credentials</strong> on the device's row.
          </p>
          <dl className="cred-list" aria-label="SIP credentials">
            <dt>Username</dt>
            <dd>
              <span className="cred-value">
                <code aria-label="SIP username">{username}</code>
                <CopyButton text={username} label="Copy SIP username" />
              </span>
            </dd>
            <dt>Password</dt>
            <dd>
              {password ? (
                <SecretValue value={password} label="SIP password" shown={shown} onShownChange={setShown} />
              ) : (
                <span className="muted">Only admins and the device's owner can see the password.</span>
              )}
            </dd>
            <dt>Domain (realm)</dt>
            <dd>
              <span className="cred-value">
                <code aria-label="SIP domain">{server?.realm ?? '…'}</code>
                {server?.realm ? <CopyButton text={server.realm} label="Copy SIP domain" /> : null}
              </span>
            </dd>
            <dt>SIP server</dt>
            <dd>
              {hostPort ? (
                <span className="cred-value">
                  <code aria-label="SIP server">{hostPort}</code>
                  <CopyButton text={hostPort} label="Copy SIP server" />
                  <span className="muted">{transports}</span>
                </span>
              ) : (
                <span className="muted">SIP is not running on this server right now: no port to give.</span>
              )}
              {server?.host && server.host !== sipHost() && hostPort ? (
                <div className="hint">
                  Pivot advertises itself as <code>{server.host}</code>: use that address if the phone cannot reach{' '}
                  <code>{sipHost()}</code>.
                </div>
              ) : null}
            </dd>
          </dl>

          <div className="reg-live" aria-live="polite">
            {device.enabled === false ? (
              <span>This device is disabled: enable it to let the phone register.</span>
            ) : registration?.registered ? (
              <>
                <span className="badge badge-ok">registered</span>
                <span>
                  from <span className="mono">{registration.contacts[0]?.source}</span>
                  {registration.contacts[0]?.expires_at
                    ? `, expires ${relative(registration.contacts[0].expires_at, now)}`
                    : ''}
                </span>
              </>
            ) : registration ? (
              <>
                <Spinner small label="Waiting" />
                <span>Waiting for the phone to register… this updates by itself.</span>
              </>
            ) : (
              <span className="muted">Registration status is unknown (the SIP runtime is not running).</span>
            )}
          </div>

          {password && server?.realm && port ? (
            <>
              <div className="snippet-head">
                <h3>baresip account line</h3>
                <CopyButton text={baresipLine(device, server, password)} label="Copy baresip account line" />
              </div>
              <pre className="snippet" aria-label="baresip account line">
                {baresipLine(device, server, shown ? password : '••••••••')}
              </pre>
              <p className="hint">
                Paste it into <code>~/.baresip/accounts</code> (Copy puts the password in it even while it is hidden).
                Other softphones (Linphone, Zoiper, MicroSIP…): SIP domain <code>{server.realm}</code>, username{' '}
                <code>{username}</code>, the password above, outbound proxy <code>{hostPort}</code>, transport{' '}
                {transports || 'UDP'}.
              </p>
            </>
          ) : null}
        </div>
      ) : null}
    </Modal>
  );
}

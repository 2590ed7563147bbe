// SIP devices (KAZOO's /v2/accounts/{id}/devices). A device registers as `sip.username` in its account's realm
// with `sip.password` (digest auth), so `sip.username` is unique in the account and every device has a password:
// one is generated when a create leaves it out (and answered, so it can be configured). A device as answered
// carries its live `registration` (from the registrar, when the call runtime runs); `GET …/devices/status` lists
// every device's. Devices that are deleted, disabled or given new credentials lose their registrations at once.
// `sip.password` is shown to admins and to the user that owns the device, not to other user tokens.
// `GET …/devices/sip_server` says where a device registers (the account's realm, Pivot's SIP address and ports), so
// a phone can be configured from what the API answers alone.

import type { Binding, Registrar } from '../sip/registrar.js';
import type { AccountDoc } from '../store/types.js';
import type { Api } from './crossbar.js';
import { docRoutes, type Doc } from './doc-routes.js';
import { ApiError, conflict, fieldError, send } from './envelope.js';
import { randomSecret } from './passwords.js';
import type { AuthContext } from './session.js';
import type { JsonSchema } from './validate.js';

/** A SIP URI user part (RFC 3261 `user`, unescaped characters only). */
const SIP_USER = "^[A-Za-z0-9._~!$&'()*+,;=?/-]{1,64}$";

export const deviceSchema: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    device_type: { type: 'string', maxLength: 64 },
    owner_id: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    enabled: { type: 'boolean' },
    sip: {
      type: 'object',
      properties: {
        username: { type: 'string', pattern: SIP_USER, description: 'generated when absent' },
        password: { type: 'string', minLength: 1, maxLength: 128, description: 'generated when absent' },
        realm: { type: 'string', maxLength: 253 },
        invite_format: { type: 'string', enum: ['username', 'npan', '1npan', 'e164', 'route', 'contact'] },
        method: { type: 'string', enum: ['password', 'ip'] },
      },
    },
    caller_id: { type: 'object' },
    media: { type: 'object' },
    call_forward: { type: 'object' },
    language: { type: 'string', maxLength: 16 },
  },
};

type Sip = { username?: string; password?: string; [key: string]: unknown };
const sipOf = (doc: Record<string, unknown> | undefined): Sip => (doc?.sip ?? {}) as Sip;

/** A device's registration as the API shows it. */
export function registrationOf(registrar: Registrar, accountId: string, deviceId: string) {
  const bindings = registrar.bindings(accountId, deviceId);
  return { registered: bindings.length > 0, contacts: bindings.map(contactView) };
}

function contactView(b: Binding) {
  return {
    contact: b.contact,
    source: `${b.source.protocol}:${b.source.address}:${b.source.port}`,
    expires: b.expires,
    expires_in: b.expiresIn,
    expires_at: new Date(Date.now() + b.expiresIn * 1000).toISOString(),
    registered_at: new Date(b.registeredAt).toISOString(),
    refreshed_at: new Date(b.refreshedAt).toISOString(),
    ...(b.userAgent ? { user_agent: b.userAgent } : {}),
  };
}

export function deviceRoutes(api: Api): void {
  const { store, sessions } = api;
  const registrar = (): Registrar | undefined => api.runtime()?.registrar;

  const view = (doc: Record<string, unknown>, auth: AuthContext, account: AccountDoc): Record<string, unknown> => {
    const out = { ...doc };
    const sip = sipOf(doc);
    const mayReadSecret = auth.privLevel === 'admin' || (auth.userId !== undefined && doc.owner_id === auth.userId);
    if (sip.password !== undefined && !mayReadSecret) out.sip = { ...sip, password: undefined };
    const reg = registrar();
    if (reg) out.registration = registrationOf(reg, account.id, String(doc.id));
    return out;
  };

  docRoutes(api, {
    path: 'devices',
    idParam: 'device_id',
    one: 'a device',
    entity: 'device',
    tag: 'devices',
    repo: (s) => s.devices,
    schema: deviceSchema,
    computedFields: ['registration'],
    secretFields: ['sip.password'],
    async beforeWrite({ account, current, doc }) {
      const sip = ((doc.sip as Sip | undefined) ?? {}) as Sip;
      doc.sip = sip;
      // A replace that leaves the credentials out keeps them: the phone stays configured.
      sip.username ??=
        sipOf(current).username ??
        `user_${randomSecret(6)
          .toLowerCase()
          .replace(/[^a-z0-9]/g, '0')}`;
      sip.password ??= sipOf(current).password ?? randomSecret(12);
      const other = await store.devices.findBySipUsername(account.id, sip.username);
      if (other && other.id !== current?.id) {
        throw conflict('sip.username', `sip.username ${sip.username} is already used by another device`, other.id);
      }
      if (typeof doc.owner_id === 'string' && !(await store.users.get(account.id, doc.owner_id))) {
        throw fieldError('owner_id', 'not_found', `owner_id ${doc.owner_id} is not a user of this account`);
      }
    },
    async afterWrite({ account, current }, stored: Doc) {
      const before = sipOf(current);
      const after = sipOf(stored);
      if (
        current &&
        (stored.enabled === false || before.username !== after.username || before.password !== after.password)
      ) {
        registrar()?.removeDevice(account.id, stored.id);
      }
    },
    async afterDelete(_auth, account, current) {
      registrar()?.removeDevice(account.id, current.id);
    },
    view,
  });

  api.route<{ account_id: string }>(
    {
      method: 'GET',
      url: '/accounts/:account_id/devices/sip_server',
      summary: "Where the account's devices register: its realm, Pivot's SIP address and ports",
      tag: 'devices',
      description:
        '`realm` is the domain of every device of the account (`sip:<sip.username>@<realm>`); `host` is the address ' +
        'Pivot advertises in SIP, `udp_port` / `tcp_port` the ports it listens on (absent while SIP is not running). ' +
        'A phone registers to the realm with `host:port` as its outbound proxy.',
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const runtime = api.runtime();
      const ports = runtime?.sipPorts ?? {};
      return send(req, reply, {
        realm: account.realm,
        ...(runtime && (ports.udp || ports.tcp) ? { host: runtime.stack.advertisedHost } : {}),
        ...(ports.udp ? { udp_port: ports.udp } : {}),
        ...(ports.tcp ? { tcp_port: ports.tcp } : {}),
      });
    },
  );

  api.route<{ account_id: string }>(
    {
      method: 'GET',
      url: '/accounts/:account_id/devices/status',
      summary: "Registration status of every device of the account (KAZOO's devices/status)",
      tag: 'devices',
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const reg = registrar();
      if (!reg) throw new ApiError(503, 'registrations are unknown: the SIP runtime is not running');
      const devices = (await store.devices.list(account.id)).items;
      return send(
        req,
        reply,
        devices.map((d) => ({
          device_id: d.id,
          name: d.name,
          username: d.sip?.username,
          ...registrationOf(reg, account.id, d.id),
        })),
      );
    },
  );
}

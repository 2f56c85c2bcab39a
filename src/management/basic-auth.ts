import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../spi.js';

export const ADMIN_TAG = 'administrator';

function credentials(
  header: string | undefined,
): { username: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0
    ? undefined
    : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** HTTP Basic against the gateway's users; only users tagged `administrator` (RabbitMQ's
 * management tag) may use the API. */
export function basicAuth(authn: Authenticator) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const creds = credentials(req.headers.authorization);
    let principal: Principal | undefined;
    if (creds) principal = await authn.authenticate(creds).catch(() => undefined);
    if (!principal) {
      await reply
        .code(401)
        .header('www-authenticate', 'Basic realm="gateway"')
        .send({ error: 'not_authorised' });
      return;
    }
    if (!principal.tags?.includes(ADMIN_TAG)) {
      await reply.code(403).send({
        error: 'not_authorised',
        reason: `user '${principal.username}' lacks the ${ADMIN_TAG} tag`,
      });
    }
  };
}

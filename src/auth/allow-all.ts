import type { Authorizer } from '../spi.js';

/** Every authenticated user may do everything: the policy until per-user permissions exist
 * (issue 8). Adapters already call `check` wherever RabbitMQ checks a permission. */
export const allowAll: Authorizer = {
  check() {
    // permitted
  },
};

/** RabbitMQ's direct reply-to pseudo-queue: consumed no-ack by a requester, named in its
 * requests' reply-to. We back it with a server-named exclusive queue (see channel.ts). */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

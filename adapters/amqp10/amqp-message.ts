/** A decoded AMQP 1.0 message (message-decode.ts): header and properties fields flattened onto
 * one object as rhea names them, ids with their AMQP type, the body as the core keeps it. */
export interface WireMessage {
  durable?: boolean | undefined;
  priority?: number | undefined;
  ttl?: number | undefined;
  first_acquirer?: boolean | undefined;
  delivery_count?: number | undefined;
  message_id?: string | TypedId | undefined;
  user_id?: Buffer | undefined;
  to?: string | undefined;
  subject?: string | undefined;
  reply_to?: string | undefined;
  correlation_id?: string | TypedId | undefined;
  content_type?: string | undefined;
  content_encoding?: string | undefined;
  absolute_expiry_time?: number | Date | undefined;
  creation_time?: number | Date | undefined;
  group_id?: string | undefined;
  group_sequence?: number | undefined;
  reply_to_group_id?: string | undefined;
  message_annotations?: Record<string, unknown> | undefined;
  application_properties?: Record<string, unknown> | undefined;
  body: Buffer;
  bodyKind: BodyKind;
}

/** How the core `body` relates to the AMQP 1.0 body: `data` sections (body = their bytes), an
 * amqp-value string (body = UTF-8) or binary (body = the bytes), or anything else (body = the
 * AMQP-encoded body sections, as RabbitMQ hands them to 0-9-1 consumers with type `amqp-1.0`). */
export type BodyKind = 'data' | 'value-string' | 'value-binary' | 'encoded';

/** `Message.native` of messages published over AMQP 1.0: what the core's 0-9-1-shaped message
 * cannot hold, so AMQP 1.0 consumers get it back. Plain JSON-safe data (stores may persist it). */
export interface Amqp10Native {
  readonly amqp10: 1;
  readonly bodyKind: BodyKind;
  /** Non-string message-id / correlation-id (ulong, uuid, binary), as [type, value]. */
  readonly messageId?: TypedId | undefined;
  readonly correlationId?: TypedId | undefined;
  readonly to?: string | undefined;
  readonly subject?: string | undefined;
  readonly absoluteExpiryTime?: number | undefined;
  /** In milliseconds: the core's `timestamp` keeps AMQP 0-9-1 seconds. */
  readonly creationTime?: number | undefined;
  readonly groupSequence?: number | undefined;
  readonly replyToGroupId?: string | undefined;
}
/** A non-string id: ulong as a number, uuid and binary bytes in base64. */
export type TypedId =
  readonly ['ulong', number] | readonly ['uuid', string] | readonly ['binary', string];

export function isAmqp10Native(native: unknown): native is Amqp10Native {
  return (
    typeof native === 'object' && native !== null && (native as { amqp10?: unknown }).amqp10 === 1
  );
}

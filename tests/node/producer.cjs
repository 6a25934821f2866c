'use strict';
// A producer of provision requests in Node.js that knows nothing of this repository but
// the output of `provisioning schemas export DIR`: it parses the exported schema alone,
// computes the CRC-64-AVRO fingerprint itself (the Avro specification's algorithm over
// avsc's Parsing Canonical Form), and writes single-object encoding: C3 01, the
// fingerprint little-endian, the Avro body.
//
//   node producer.cjs encode DIR REQUEST_JSON                   -> prints {header_hex, message_hex, ...}
//   node producer.cjs send DIR REQUEST_JSON BOOTSTRAP TOPIC KEY -> also publishes it (kafkajs)
//   node producer.cjs send-registry DIR REQUEST_JSON BOOTSTRAP TOPIC KEY REGISTRY_URL
//        -> registers the exported schema under TOPIC-value (the TOPIC subject strategy)
//           and publishes in the registry's wire format: 00, the schema id big-endian,
//           the Avro body
//   node producer.cjs decode DIR OUTCOME_HEX                    -> prints the decoded ProvisionOutcome
//
// REQUEST_JSON is the request as docs/requests.md shows it, with requested_at in epoch
// milliseconds. The result is one JSON line on stdout.
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const avro = require('avsc');

const MAGIC = Buffer.from([0xc3, 0x01]);
const EMPTY = 0xc15d213aa4d7a795n;
const TABLE = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) {
    fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
  }
  return fp;
});

function crc64avro(text) {
  let fp = EMPTY;
  for (const byte of Buffer.from(text, 'utf8')) {
    fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(byte)) & 0xffn)];
  }
  return fp;
}

function load(dir, record) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const file = manifest.records[record].current.file;
  // no registry of other types: the exported schema must stand alone
  const type = avro.Type.forSchema(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
  const fingerprint = crc64avro(JSON.stringify(type.schema()));
  const header = Buffer.alloc(10);
  MAGIC.copy(header);
  header.writeBigUInt64LE(fingerprint, 2);
  return { type, header, fingerprint };
}

// the payload union's branch for each action (docs/requests.md, "Payload per action")
const PAYLOAD = {
  provision_domain: 'provisioning.DomainCreate',
  provision_domain_renew: 'provisioning.DomainRenew',
  provision_domain_transfer: 'provisioning.DomainTransfer',
  provision_domain_restore: 'provisioning.DomainRestore',
  provision_domain_delete: 'provisioning.DomainDelete',
  provision_domain_update: 'provisioning.DomainUpdate',
  provision_contact: 'provisioning.ContactCreate',
  provision_host: 'provisioning.HostCreate',
  provision_ssl: 'provisioning.SslCertificate',
};

function encode(dir, request) {
  const { type, header, fingerprint } = load(dir, 'ProvisionRequest');
  const record = { ...request, payload: { [PAYLOAD[request.action]]: request.payload } };
  const bad = [];
  if (!type.isValid(record, { errorHook: (where) => bad.push(where.join('.') || '(record)') })) {
    throw new Error(`the request does not fit ProvisionRequest: ${bad.join(', ')}`);
  }
  return {
    fingerprint_hex: fingerprint.toString(16).padStart(16, '0'),
    header_hex: header.toString('hex'),
    message: Buffer.concat([header, type.toBuffer(record)]),
  };
}

// librdkafka's default partitioner (consistent_random: CRC-32 of the key), so a key goes
// to the partition the Python producers send it to and one object's requests stay in order
function sameAsLibrdkafka() {
  return ({ partitionMetadata, message }) =>
    zlib.crc32(Buffer.from(message.key)) % partitionMetadata.length;
}

// Register the exported schema (Confluent-compatible API) and frame the body with its id.
async function encodeForRegistry(dir, request, registry, topic) {
  const encoded = encode(dir, request);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const schema = fs.readFileSync(path.join(dir, manifest.records.ProvisionRequest.current.file), 'utf8');
  const response = await fetch(`${registry}/subjects/${encodeURIComponent(`${topic}-value`)}/versions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema }),
    signal: AbortSignal.timeout(10000),
  });
  if (!response.ok) {
    throw new Error(`the registry refused the schema: ${response.status} ${await response.text()}`);
  }
  const { id } = await response.json();
  const header = Buffer.alloc(5);
  header.writeUInt32BE(id, 1);
  const body = encoded.message.subarray(10);
  return { schema_id: id, header_hex: header.toString('hex'), message: Buffer.concat([header, body]) };
}

async function send(dir, request, bootstrap, topic, key, registry) {
  const { Kafka, logLevel } = require('kafkajs');
  const encoded = registry
    ? await encodeForRegistry(dir, request, registry, topic)
    : encode(dir, request);
  const kafka = new Kafka({
    clientId: 'node-producer',
    brokers: bootstrap.split(','),
    logLevel: logLevel.ERROR,
  });
  const producer = kafka.producer({ createPartitioner: sameAsLibrdkafka, idempotent: true });
  await producer.connect();
  try {
    const [sent] = await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          key,
          value: encoded.message,
          headers: { 'content-type': 'application/vnd.provisioning.request+avro' },
        },
      ],
    });
    return { ...encoded, partition: sent.partition, offset: sent.baseOffset };
  } finally {
    await producer.disconnect();
  }
}

function decode(dir, hex) {
  const { type, header } = load(dir, 'ProvisionOutcome');
  const data = Buffer.from(hex, 'hex');
  if (!data.subarray(0, 10).equals(header)) {
    throw new Error(`not a ProvisionOutcome of the exported schema: header ${data.subarray(0, 10).toString('hex')}`);
  }
  return type.fromBuffer(data.subarray(10));
}

async function main([mode, dir, ...rest]) {
  let result;
  if (mode === 'encode') {
    result = encode(dir, JSON.parse(rest[0]));
  } else if (mode === 'send') {
    result = await send(dir, JSON.parse(rest[0]), rest[1], rest[2], rest[3]);
  } else if (mode === 'send-registry') {
    result = await send(dir, JSON.parse(rest[0]), rest[1], rest[2], rest[3], rest[4]);
  } else if (mode === 'decode') {
    result = decode(dir, rest[0]);
  } else {
    throw new Error(`unknown mode ${mode}: encode, send or decode`);
  }
  if (result.message) {
    result = { ...result, message_hex: result.message.toString('hex'), message: undefined };
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});

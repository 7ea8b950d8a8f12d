#!/usr/bin/env node
// The loopback S3 server of the stasis tests: s3rver stores the objects, and
// this front does what s3rver 3.7.1 leaves out and real S3 does:
//   - verifies every request's Signature V4 (header auth) against the one
//     configured key pair: wrong key -> 403 InvalidAccessKeyId, wrong secret
//     or altered request -> 403 SignatureDoesNotMatch, stale date -> 403
//     RequestTimeTooSkewed;
//   - checks the payload against x-amz-content-sha256 and
//     x-amz-checksum-sha256 (400 XAmzContentSHA256Mismatch / BadDigest);
//   - keeps the table of open multipart uploads, so ListMultipartUploads
//     and AbortMultipartUpload work (s3rver answers both with 405), and a
//     part or completion for an aborted upload gets 404 NoSuchUpload;
//   - serves directory buckets (names ending in --x-s3) as S3 Express One
//     Zone does: CreateSession (GET /bucket?session, signed for service
//     s3express with the base keys) hands out session keys that expire
//     after S3SERVER_SESSION_SECONDS (default 300); every other request must
//     be signed for s3express with a live session key and carry its
//     x-amz-s3session-token; X-Amz-Security-Token, delimiters other than
//     '/' and prefixes not ending in '/' are refused. GET /__sessions counts
//     the sessions made; DELETE /__sessions revokes them all;
//   - injects faults on demand, for the failure tests: POST /__faults with
//     {"op": "UploadPart", "status": 500, "after": 2, "count": 100} (or
//     "reset": true to drop the connection, "delay_ms" to stall) applies to
//     matching requests; DELETE /__faults clears them. Unsigned, and only
//     ever on loopback.
//
//   node server.js --port P --directory D [--bucket B]... [--access-key K]
//                  [--secret S] [--region R]
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const zlib = require('zlib');
const S3rver = require('s3rver');

function parseArgs(argv) {
  const o = { port: 0, directory: '', buckets: [], accessKey: 'S3RVER', secret: 'S3RVER', region: 'us-east-1' };
  for (let i = 2; i < argv.length; i += 2) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--port': o.port = Number(v); break;
      case '--directory': o.directory = v; break;
      case '--bucket': o.buckets.push(v); break;
      case '--access-key': o.accessKey = v; break;
      case '--secret': o.secret = v; break;
      case '--region': o.region = v; break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (!o.directory) throw new Error('--directory is required');
  return o;
}

// --- Signature V4, server side -------------------------------------------

// RFC 3986 unreserved characters stay; everything else is %XX, upper case.
function awsEncode(s) {
  return Buffer.from(s, 'utf8').toString('latin1').replace(/[^A-Za-z0-9\-._~]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}
function decode(s) { return decodeURIComponent(s); }

function canonicalUri(rawPath) {
  return rawPath.split('/').map((seg) => awsEncode(decode(seg))).join('/');
}

function canonicalQuery(rawQuery) {
  if (!rawQuery) return '';
  const pairs = rawQuery.split('&').filter((p) => p !== '').map((p) => {
    const eq = p.indexOf('=');
    const k = eq < 0 ? p : p.slice(0, eq);
    const v = eq < 0 ? '' : p.slice(eq + 1);
    return [awsEncode(decode(k)), awsEncode(decode(v))];
  });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

// Repeated headers join with ',' as the signer does; values trimmed and
// inner runs of spaces collapsed.
function headerValues(rawHeaders) {
  const m = new Map();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1].trim().replace(/\s+/g, ' ');
    m.set(name, m.has(name) ? `${m.get(name)},${value}` : value);
  }
  return m;
}

function hmac(key, data) { return crypto.createHmac('sha256', key).update(data, 'utf8').digest(); }
function sha256Hex(data) { return crypto.createHash('sha256').update(data).digest('hex'); }

function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

class S3Error extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

const sessions = new Map(); // session key id -> { secret, token, bucket, expires }
let sessionsMade = 0;
let forwardKeyId = 'S3RVER';
const sessionSeconds = Number(process.env.S3SERVER_SESSION_SECONDS || 300);

function isDirectoryBucket(bucket) { return /--x-s3$/.test(bucket); }

// The secret a request must be signed with, after the checks that depend on
// who signs: the base key pair for s3 and for CreateSession, a live session
// for every other directory bucket request.
function signingSecret(req, keyId, service, bucket, isCreateSession, opts) {
  const directory = isDirectoryBucket(bucket);
  if (directory && service !== 's3express') {
    throw new S3Error(400, 'AuthorizationHeaderMalformed', `directory bucket ${bucket} needs the s3express signing name`);
  }
  if (!directory && service !== 's3') {
    throw new S3Error(400, 'AuthorizationHeaderMalformed', `the service '${service}' is wrong; expecting 's3'`);
  }
  if (!directory || isCreateSession) {
    if (keyId !== opts.accessKey) {
      throw new S3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    }
    return opts.secret;
  }
  if (req.headers['x-amz-security-token']) {
    throw new S3Error(400, 'InvalidRequest', 'x-amz-security-token is not supported for directory buckets; use a session');
  }
  const session = sessions.get(keyId);
  if (!session || session.bucket !== bucket) {
    throw new S3Error(403, 'InvalidAccessKeyId', 'The session key is not valid for this bucket; call CreateSession.');
  }
  if (Date.now() >= session.expires) {
    throw new S3Error(403, 'ExpiredToken', 'The provided token has expired.');
  }
  if (req.headers['x-amz-s3session-token'] !== session.token) {
    throw new S3Error(403, 'InvalidToken', 'The provided x-amz-s3session-token is malformed or otherwise invalid.');
  }
  return session.secret;
}

function createSession(bucket) {
  const id = 'ASIA' + crypto.randomBytes(8).toString('hex').toUpperCase();
  const secret = crypto.randomBytes(20).toString('base64');
  const token = crypto.randomBytes(32).toString('base64');
  const expires = Date.now() + sessionSeconds * 1000;
  sessions.set(id, { secret, token, bucket, expires });
  sessionsMade += 1;
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<CreateSessionResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Credentials>' +
    `<SessionToken>${token}</SessionToken><SecretAccessKey>${secret}</SecretAccessKey>` +
    `<AccessKeyId>${id}</AccessKeyId><Expiration>${new Date(expires).toISOString().replace(/\.\d+Z$/, 'Z')}</Expiration>` +
    '</Credentials></CreateSessionResult>';
}

// What S3 Express refuses of ListObjectsV2.
function checkDirectoryBucketRequest(req, params) {
  if (req.method !== 'GET' || !params.has('list-type')) return;
  const delimiter = params.get('delimiter');
  const prefix = params.get('prefix') || '';
  if (delimiter !== null && delimiter !== '/') {
    throw new S3Error(400, 'InvalidArgument', 'Directory buckets support only / as a delimiter.');
  }
  if (delimiter !== null && prefix !== '' && !prefix.endsWith('/')) {
    throw new S3Error(400, 'InvalidArgument', 'Directory buckets need prefixes that end in / when a delimiter is given.');
  }
}

// Throws S3Error when the request is not signed by our key pair (or, for
// directory buckets, by a live session).
function verifySignature(req, rawPath, rawQuery, opts, bucket, isCreateSession) {
  const auth = req.headers.authorization;
  if (!auth) throw new S3Error(403, 'AccessDenied', 'Access Denied: the request is not signed');
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) throw new S3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed');
  const [keyId, date, region, service, term] = m[1].split('/');
  const secret = signingSecret(req, keyId, service, bucket, isCreateSession, opts);
  if (region !== opts.region || term !== 'aws4_request') {
    throw new S3Error(400, 'AuthorizationHeaderMalformed',
      `The authorization header is malformed; the region '${region}' is wrong; expecting '${opts.region}'`);
  }
  const amzDate = req.headers['x-amz-date'];
  const when = parseAmzDate(amzDate);
  if (Number.isNaN(when) || amzDate.slice(0, 8) !== date) {
    throw new S3Error(403, 'AccessDenied', 'X-Amz-Date is missing or does not match the credential scope');
  }
  if (Math.abs(Date.now() - when) > 15 * 60 * 1000) {
    throw new S3Error(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  }
  const signedHeaders = m[2].split(';');
  if (!signedHeaders.includes('host')) throw new S3Error(400, 'AuthorizationHeaderMalformed', 'host must be signed');
  const values = headerValues(req.rawHeaders);
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (!payloadHash) throw new S3Error(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  const canonicalRequest = [
    req.method,
    canonicalUri(rawPath),
    canonicalQuery(rawQuery),
    signedHeaders.map((h) => `${h}:${values.get(h) ?? ''}\n`).join(''),
    m[2],
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac('AWS4' + secret, date);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, 'aws4_request');
  const expected = crypto.createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  if (!crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(m[3]))) {
    throw new S3Error(403, 'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
}

// aws-chunked bodies (the AWS CLI's uploads) carry their checksums in
// trailers; s3rver decodes them.
function isAwsChunked(req) {
  return (req.headers['content-encoding'] || '').includes('aws-chunked') ||
    (req.headers['x-amz-content-sha256'] || '').startsWith('STREAMING-');
}

function verifyPayload(req, body) {
  const declared = req.headers['x-amz-content-sha256'];
  if (/^[0-9a-f]{64}$/.test(declared) && sha256Hex(body) !== declared) {
    throw new S3Error(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const checksum = req.headers['x-amz-checksum-sha256'];
  if (checksum && crypto.createHash('sha256').update(body).digest('base64') !== checksum) {
    throw new S3Error(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
  }
  const crc = req.headers['x-amz-checksum-crc32'];
  if (crc && !isAwsChunked(req)) {
    const be = Buffer.alloc(4);
    be.writeUInt32BE(zlib.crc32(body) >>> 0);
    if (be.toString('base64') !== crc) {
      throw new S3Error(400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
    }
  }
}

// --- Multipart uploads -----------------------------------------------------

const uploads = new Map(); // uploadId -> { bucket, key, initiated }
let uploadsFile = null; // where the table survives a restart of the server

// Like S3, open uploads outlive the server process: the table is saved on
// every change and read back at start, so a test can stop the server in the
// middle of an upload and still see what was left open.
function saveUploads() {
  if (!uploadsFile) return;
  fs.writeFileSync(uploadsFile + '.tmp', JSON.stringify([...uploads.entries()]));
  fs.renameSync(uploadsFile + '.tmp', uploadsFile);
}
function loadUploads() {
  try {
    for (const [id, u] of JSON.parse(fs.readFileSync(uploadsFile, 'utf8'))) uploads.set(id, u);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
}
let store = null; // s3rver's FilesystemStore, where it stages parts

// An aborted upload's parts go, as they would on S3 (they no longer bill).
function discardParts(bucket, uploadId) {
  const dir = path.join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  fs.rmSync(dir, { recursive: true, force: true });
}

// --- Server-side encryption --------------------------------------------------
// s3rver ignores SSE headers. The front checks them as S3 does and reports
// them on HEAD and GET, so a client can see what an object was stored with.
const encryption = new Map(); // "bucket/key" -> { sse, kms }

function requestedEncryption(req) {
  const sse = req.headers['x-amz-server-side-encryption'];
  const kms = req.headers['x-amz-server-side-encryption-aws-kms-key-id'];
  if (sse === undefined && kms === undefined) return null;
  if (kms !== undefined && sse !== 'aws:kms') {
    throw new S3Error(400, 'InvalidArgument',
      'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms');
  }
  if (sse !== 'AES256' && sse !== 'aws:kms') {
    throw new S3Error(400, 'InvalidArgument', 'The encryption method specified is not supported');
  }
  return { sse, kms: sse === 'aws:kms' ? (kms || 'aws/s3') : undefined };
}

function encryptionHeaders(enc) {
  if (!enc) return {};
  const h = { 'x-amz-server-side-encryption': enc.sse };
  if (enc.kms) h['x-amz-server-side-encryption-aws-kms-key-id'] = enc.kms;
  return h;
}

function xmlEscape(s) {
  return String(s).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' }[c]));
}

function listUploadsXml(bucket, prefix) {
  const items = [...uploads.entries()]
    .filter(([, u]) => u.bucket === bucket && u.key.startsWith(prefix))
    .sort((a, b) => (a[1].key < b[1].key ? -1 : 1))
    .map(([id, u]) => `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${xmlEscape(id)}</UploadId>` +
      `<Initiated>${u.initiated}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`);
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Bucket>${xmlEscape(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
    `<Prefix>${xmlEscape(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
    items.join('') + '</ListMultipartUploadsResult>';
}

function sendXml(res, status, xml, requestId) {
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': requestId, 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

function sendError(res, err, resource, requestId) {
  if (err.status >= 500) process.stderr.write(`${new Date().toISOString()} ${err.status} ${err.code} ${resource}: ${err.message}\n`);
  const xml = '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${err.code}</Code><Message>${xmlEscape(err.message)}</Message>` +
    `<Resource>${xmlEscape(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`;
  sendXml(res, err.status, xml, requestId);
}

// --- Faults ----------------------------------------------------------------

let faults = []; // { op, status, code, reset, delay_ms, after, count }

function operation(method, key, params) {
  if (method === 'PUT') return params.has('partNumber') ? 'UploadPart' : 'PutObject';
  if (method === 'POST') return params.has('uploads') ? 'CreateMultipartUpload' : 'CompleteMultipartUpload';
  if (method === 'DELETE') return params.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
  if (method === 'HEAD') return key ? 'HeadObject' : 'HeadBucket';
  if (method === 'GET') return key ? 'GetObject' : params.has('uploads') ? 'ListMultipartUploads' : 'ListObjects';
  return method;
}

// The fault to apply to this request, if any; counts it as used.
function takeFault(op) {
  for (const f of faults) {
    if (f.op !== op && f.op !== 'any') continue;
    if (f.after > 0) { f.after -= 1; continue; }
    if (f.count <= 0) continue;
    f.count -= 1;
    f.hits += 1;
    return f;
  }
  return null;
}

async function controlFaults(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  if (req.method === 'DELETE') faults = [];
  if (req.method === 'POST') {
    const f = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    faults.push({ op: f.op || 'any', status: f.status || 0, code: f.code || 'InternalError',
      reset: !!f.reset, delay_ms: f.delay_ms || 0, after: f.after || 0,
      count: f.count === undefined ? Infinity : f.count, hits: 0 });
  }
  const body = JSON.stringify(faults.map((f) => ({ ...f, count: f.count === Infinity ? -1 : f.count })));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
}

// --- The front -------------------------------------------------------------

function forward(req, body, backend, onResponse) {
  const headers = { ...req.headers };
  delete headers.expect; // the whole body is here already
  // s3rver knows only the base key id (it checks ids, not signatures):
  // requests signed by a directory bucket session go on under that id.
  if (headers['x-amz-s3session-token']) {
    delete headers['x-amz-s3session-token'];
    headers.authorization = headers.authorization.replace(/Credential=[^/]+\/(\d+)\/([^/]+)\/s3express\//,
      (all, date, region) => `Credential=${forwardKeyId}/${date}/${region}/s3/`);
  }
  headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const up = http.request({ host: backend.address, port: backend.port, method: req.method, path: req.url, headers }, (r) => {
      const chunks = [];
      if (!onResponse) { resolve(r); return; }
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks) }));
      r.on('error', reject);
    });
    up.on('error', reject);
    up.end(body);
  });
}

async function handle(req, res, backend, opts) {
  const requestId = crypto.randomBytes(8).toString('hex').toUpperCase();
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
  const params = new URLSearchParams(rawQuery);
  const segments = rawPath.split('/');
  const bucket = decodeURIComponent(segments[1] || '');
  const key = segments.slice(2).map(decodeURIComponent).join('/');

  if (rawPath === '/__faults') return controlFaults(req, res);
  if (rawPath === '/__sessions') {
    for await (const c of req) void c;
    if (req.method === 'DELETE') sessions.clear();
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ made: sessionsMade, live: sessions.size }));
  }
  const isCreateSession = req.method === 'GET' && key === '' && params.has('session');
  const fault = takeFault(operation(req.method, key, params));
  if (fault && fault.reset) {
    // Drop the connection with the request half read, as a network would.
    req.socket.destroy();
    return;
  }

  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks);
  if (fault && fault.delay_ms) await new Promise((r) => setTimeout(r, fault.delay_ms));
  if (fault && fault.status) {
    const msg = fault.code === 'SlowDown' ? 'Please reduce your request rate.' : 'We encountered an internal error. Please try again.';
    return sendError(res, new S3Error(fault.status, fault.code, msg), rawPath, requestId);
  }

  let sse = null; // the server-side encryption the request asks for
  try {
    verifySignature(req, rawPath, rawQuery, opts, bucket, isCreateSession);
    verifyPayload(req, body);
    if (isDirectoryBucket(bucket)) checkDirectoryBucketRequest(req, params);
    sse = requestedEncryption(req);
  } catch (err) {
    if (err instanceof S3Error) return sendError(res, err, rawPath, requestId);
    return sendError(res, new S3Error(400, 'InvalidRequest', String(err.message)), rawPath, requestId);
  }

  if (isCreateSession) return sendXml(res, 200, createSession(bucket), requestId);
  const uploadId = params.get('uploadId');
  if (req.method === 'GET' && params.has('uploads') && key === '') {
    return sendXml(res, 200, listUploadsXml(bucket, params.get('prefix') || ''), requestId);
  }
  if (uploadId !== null) {
    const u = uploads.get(uploadId);
    if (!u || u.bucket !== bucket || u.key !== key) {
      return sendError(res, new S3Error(404, 'NoSuchUpload', 'The specified multipart upload does not exist.'), rawPath, requestId);
    }
    if (req.method === 'DELETE') {
      uploads.delete(uploadId);
      saveUploads();
      discardParts(bucket, uploadId);
      res.writeHead(204, { 'x-amz-request-id': requestId });
      return res.end();
    }
  }

  const isInitiate = req.method === 'POST' && params.has('uploads');
  const isComplete = req.method === 'POST' && uploadId !== null;
  if (isInitiate || isComplete) {
    const r = await forward(req, body, backend, true);
    const text = r.body.toString('utf8');
    if (r.status === 200 && isInitiate) {
      const id = /<UploadId>([^<]+)<\/UploadId>/.exec(text);
      if (id) {
        uploads.set(id[1], { bucket, key, initiated: new Date().toISOString(), sse });
        saveUploads();
      }
    }
    if (r.status === 200 && isComplete && !text.includes('<Error>')) {
      const done = uploads.get(uploadId);
      if (done && done.sse) encryption.set(`${bucket}/${key}`, done.sse);
      else encryption.delete(`${bucket}/${key}`);
      uploads.delete(uploadId);
      saveUploads();
    }
    res.writeHead(r.status, { ...r.headers, ...encryptionHeaders(isInitiate ? sse : null) });
    return res.end(r.body);
  }
  const r = await forward(req, body, backend, false);
  if (r.statusCode >= 500) process.stderr.write(`${new Date().toISOString()} s3rver answered ${r.statusCode} to ${req.method} ${req.url}\n`);
  const objectKey = `${bucket}/${key}`;
  let extra = {};
  if (key && r.statusCode < 300) {
    if (req.method === 'PUT' && !params.has('partNumber') && !req.headers['x-amz-copy-source']) {
      if (sse) encryption.set(objectKey, sse); else encryption.delete(objectKey);
      extra = encryptionHeaders(sse);
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      extra = encryptionHeaders(encryption.get(objectKey));
    } else if (req.method === 'DELETE') {
      encryption.delete(objectKey);
    }
  }
  res.writeHead(r.statusCode, { ...r.headers, ...extra });
  r.pipe(res);
}

async function main() {
  const opts = parseArgs(process.argv);
  forwardKeyId = opts.accessKey;
  const s3rver = new S3rver({
    address: '127.0.0.1', port: 0, directory: opts.directory, silent: !process.env.S3SERVER_VERBOSE,
    configureBuckets: opts.buckets.map((name) => ({ name })),
  });
  const backend = await s3rver.run();
  store = s3rver.store;
  uploadsFile = path.join(opts.directory, '.stasis-open-uploads.json');
  loadUploads();
  const front = http.createServer((req, res) => {
    handle(req, res, backend, opts).catch((err) => {
      if (!res.headersSent) sendError(res, new S3Error(500, 'InternalError', String(err.message)), req.url, 'front');
      else res.destroy();
    });
  });
  front.keepAliveTimeout = 60000;
  front.listen(opts.port, '127.0.0.1', () => {
    process.stdout.write(`listening on 127.0.0.1:${front.address().port}\n`);
  });
  const stop = () => { front.close(); s3rver.close().finally(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`s3server: ${err.message}\n`);
  process.exit(1);
});

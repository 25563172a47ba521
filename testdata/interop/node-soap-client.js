#!/usr/bin/env node
// A stock node-soap client (soap 1.13.0, WSSecurityCert) calling Darbaza's
// getPerson, built from the WSDL at GET /?wsdl. It signs with an RSA key
// (xml-crypto, which WSSecurityCert uses, has no ECDSA signer), then checks
// the answer's signature with xml-crypto against the adapter's certificate.
//
//   node node-soap-client.js --url http://127.0.0.1:8080/ --key portal-rsa.key \
//       --cert portal-rsa.crt --server-cert adapter.crt --client central-server/GOV/70000002/portal \
//       --pin 21505198500123 --out response.xml
//
// Exit status 0: answered, "result CODE" printed on stdout; 2: a SOAP fault
// (its signature checked too), "fault CODE: reason" printed; 1: anything
// else. The request and response are saved as OUT.request and OUT.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const soap = require('soap');
const { SignedXml } = require('xml-crypto');
const { DOMParser } = require('@xmldom/xmldom');
const xpath = require('xpath');

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) {
      throw new Error(`bad argument ${argv[i]}`);
    }
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const k of ['url', 'key', 'cert', 'server-cert', 'client', 'pin', 'out']) {
    if (!out[k]) throw new Error(`--${k} is required`);
  }
  return out;
}

const XROAD = 'http://x-road.eu/xsd/xroad.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const PROVIDER = 'central-server/GOV/70000001/population-registry';

function identifier(tag, objectType, id, serviceCode) {
  const [instance, memberClass, memberCode, subsystem] = id.split('/');
  let x = `<xrd:${tag} id:objectType="${objectType}">` +
    `<id:xRoadInstance>${instance}</id:xRoadInstance><id:memberClass>${memberClass}</id:memberClass>` +
    `<id:memberCode>${memberCode}</id:memberCode>`;
  if (subsystem) x += `<id:subsystemCode>${subsystem}</id:subsystemCode>`;
  if (serviceCode) x += `<id:serviceCode>${serviceCode}</id:serviceCode><id:serviceVersion>v1</id:serviceVersion>`;
  return x + `</xrd:${tag}>`;
}

// --- What an integrator adds to read Darbaza's signed answers with xml-crypto:
// Darbaza signs with ECDSA P-256 (XML-DSig 1.1 ecdsa-sha256, value as raw
// r||s); xml-crypto 6 ships RSA only, so register a verifier for it.
const ECDSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256';
class EcdsaSha256 {
  getAlgorithmName() { return ECDSA_SHA256; }
  getSignature() { throw new Error('signing with ECDSA is not needed here'); }
  verifySignature(material, key, value) {
    return crypto.verify('sha256', Buffer.from(material), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(value, 'base64'));
  }
}
// --- end of the integrator's addition.

// verifyResponse checks the response's only ds:Signature with the adapter's
// certificate and that it covers the Body, the Timestamp and every X-Road
// header, at least minimum elements in all.
function verifyResponse(raw, serverCertPem, minimum) {
  const doc = new DOMParser().parseFromString(raw, 'text/xml');
  const sigs = xpath.select(`//*[local-name()='Signature' and namespace-uri()='${DS}']`, doc);
  if (sigs.length !== 1) throw new Error(`${sigs.length} ds:Signature elements in the response`);
  const sig = new SignedXml({ publicCert: serverCertPem });
  sig.SignatureAlgorithms[ECDSA_SHA256] = EcdsaSha256;
  sig.loadSignature(sigs[0]);
  if (!sig.checkSignature(raw)) throw new Error('response signature does not verify');
  const signedIds = new Set(sig.getReferences().map((r) => r.uri.replace(/^#/, '')));
  const must = xpath.select(
    `/*/*[local-name()='Body'] | //*[local-name()='Timestamp' and namespace-uri()='${WSU}'] | /*/*[local-name()='Header']/*[namespace-uri()='${XROAD}']`, doc);
  if (must.length < minimum) throw new Error(`only ${must.length} elements to check in the response`);
  for (const el of must) {
    const id = el.getAttributeNS(WSU, 'Id') || el.getAttribute('Id');
    if (!id || !signedIds.has(id)) throw new Error(`response element ${el.nodeName} is not signed`);
  }
  return must.length;
}

async function main() {
  const a = args();
  const client = await soap.createClientAsync(a.url + '?wsdl');
  client.setEndpoint(a.url);
  // WSSecurityCert defaults: RSA-SHA256, SHA-256 digests, exc-c14n, bare Id
  // attributes. What an integrator adds: additionalReferences, since Darbaza
  // requires every X-Road header to be signed. They select elements by their
  // literal qualified name, so the X-Road headers must use the prefix "xrd:"
  // (the WSDL's namespace declarations, which node-soap puts on the Envelope,
  // bind it). Do not declare xmlns:id on a header element itself: in its
  // default id mode xml-crypto takes any attribute named Id, ID or id as the
  // element's id, that declaration included (or set signerOptions.idMode to
  // 'wssecurity').
  const headers = ['client', 'service', 'id', 'userId', 'issue', 'protocolVersion'];
  // --stock yes: WSSecurityCert's defaults alone (Body and Timestamp), for the test that it is refused.
  const options = a.stock === 'yes' ? {} : { additionalReferences: headers.map((h) => 'xrd:' + h) };
  client.setSecurity(new soap.WSSecurityCert(fs.readFileSync(a.key), fs.readFileSync(a.cert), '', options));
  client.addSoapHeader(identifier('client', a.client.split('/').length === 4 ? 'SUBSYSTEM' : 'MEMBER', a.client));
  client.addSoapHeader(identifier('service', 'SERVICE', PROVIDER, 'getPerson'));
  client.addSoapHeader(`<xrd:id>${crypto.randomUUID()}</xrd:id>`);
  client.addSoapHeader(`<xrd:userId>KG${a.pin}</xrd:userId>`);
  client.addSoapHeader(`<xrd:issue>interop-node-soap</xrd:issue>`);
  client.addSoapHeader(`<xrd:protocolVersion>4.0</xrd:protocolVersion>`);

  let result, raw;
  try {
    [result, raw] = await client.getPersonAsync({ pin: a.pin });
  } catch (err) {
    fs.writeFileSync(a.out, err.body || '');
    fs.writeFileSync(a.out + '.request', client.lastRequest || '');
    const code = err.root && err.root.Envelope && err.root.Envelope.Body && err.root.Envelope.Body.Fault &&
      err.root.Envelope.Body.Fault.faultcode;
    if (!code) throw new Error(`call failed: ${err.message}\n${err.body || ''}`);
    verifyResponse(err.body, fs.readFileSync(a['server-cert'], 'utf8'), 2); // a fault: Body and Timestamp
    console.log(`fault ${code}: ${err.root.Envelope.Body.Fault.faultstring}`);
    process.exit(2);
  }
  fs.writeFileSync(a.out, raw);
  fs.writeFileSync(a.out + '.request', client.lastRequest);
  // Body, Timestamp, the 6 echoed headers and requestHash.
  const checked = verifyResponse(raw, fs.readFileSync(a['server-cert'], 'utf8'), 9);
  const code = result && result.result && result.result.code;
  console.log(`result ${code}; xml-crypto verified the response signature over ${checked} elements`);
}

main().catch((err) => {
  console.error(String(err && err.stack ? err.stack : err));
  process.exit(1);
});

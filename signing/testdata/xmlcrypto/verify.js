// Verifies a Darbaza-signed message the way a node-soap / xml-crypto
// integrator does. Usage: node verify.js SIGNED.xml SERVER.crt
// xml-crypto has no ECDSA SignatureMethod; the ecdsa-sha256 class below is
// the few lines an integrator adds (XML-DSig values are raw r||s, which node
// calls "ieee-p1363").
const fs = require("fs");
const crypto = require("crypto");
const { SignedXml } = require("xml-crypto");
const { DOMParser } = require("@xmldom/xmldom");

class EcdsaSha256 {
  getAlgorithmName() { return "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"; }
  getSignature(signedInfo, key) {
    return crypto.sign("sha256", Buffer.from(signedInfo), { key, dsaEncoding: "ieee-p1363" }).toString("base64");
  }
  verifySignature(signedInfo, key, value) {
    return crypto.verify("sha256", Buffer.from(signedInfo), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(value, "base64"));
  }
}

const [xml, cert] = [fs.readFileSync(process.argv[2], "utf8"), fs.readFileSync(process.argv[3], "utf8")];
const doc = new DOMParser().parseFromString(xml, "text/xml");
const sigs = doc.getElementsByTagNameNS("http://www.w3.org/2000/09/xmldsig#", "Signature");
if (sigs.length !== 1) { console.error("want one Signature, got " + sigs.length); process.exit(1); }
const sig = new SignedXml({ publicCert: cert, idAttributes: ["Id"] });
sig.SignatureAlgorithms["http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"] = EcdsaSha256;
sig.loadSignature(sigs[0]);
try {
  if (!sig.checkSignature(xml)) { console.error("signature invalid"); process.exit(1); }
} catch (e) { console.error(e.message); process.exit(1); }
console.log("OK " + sig.getReferences().length + " references");

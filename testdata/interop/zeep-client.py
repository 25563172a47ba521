#!/usr/bin/python3
"""A python zeep client (Debian python3-zeep 4.2, BinarySignature over
python3-xmlsec) calling Darbaza's getPerson, built from the WSDL at GET /?wsdl,
signed with an ECDSA P-256 (or RSA) member key.

  /usr/bin/python3 zeep-client.py --url http://127.0.0.1:8080/ --key portal.key \
      --cert portal.crt --server-cert adapter.crt \
      --client central-server/GOV/70000002/portal --pin 21505198500123 --out response.xml

Exit status 0: answered, "result CODE" printed on stdout; 2: a SOAP fault,
"fault CODE: reason" printed; 1: anything else. The request and response
are saved as OUT.request and OUT.
"""
import argparse
import datetime
import sys
import uuid

import xmlsec
from lxml import etree
from zeep import Client
from zeep.exceptions import Fault
from zeep.wsse import signature as zeep_signature
from zeep.wsse.compose import Compose
from zeep.wsse.signature import BinarySignature
from zeep.wsse.utils import WSU, get_security_header

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XROAD_NS = "http://x-road.eu/xsd/xroad.xsd"
PROVIDER = "central-server/GOV/70000001/population-registry"


# --- What an integrator adds to a stock zeep client for Darbaza -------------
class Timestamp:
    """wsse plugin that adds the wsu:Timestamp the profile requires (zeep's
    BinarySignature signs one if present but never creates it). List it
    before the signature:
    wsse=Compose([Timestamp(), XRoadBinarySignature(...)])."""

    def __init__(self, ttl=datetime.timedelta(minutes=5)):
        self.ttl = ttl

    def apply(self, envelope, headers):
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        ts = WSU.Timestamp(
            WSU.Created(now.strftime("%Y-%m-%dT%H:%M:%SZ")),
            WSU.Expires((now + self.ttl).strftime("%Y-%m-%dT%H:%M:%SZ")),
        )
        get_security_header(envelope).append(ts)
        return envelope, headers

    def verify(self, envelope):
        return envelope


class XRoadBinarySignature(BinarySignature):
    """BinarySignature that also signs every X-Road header (by itself it signs
    only Body and Timestamp, and Darbaza refuses an unsigned X-Road header),
    and that checks responses with the registry's certificate instead of the
    caller's own."""

    def __init__(self, key_file, cert_file, server_cert_file, sign_xroad_headers=True, **kw):
        super().__init__(key_file, cert_file, **kw)
        with open(server_cert_file, "rb") as f:
            self.server_cert = f.read()
        self.sign_xroad_headers = sign_xroad_headers

    def apply(self, envelope, headers):
        if not self.sign_xroad_headers:  # stock behaviour, for the test that it is refused
            return super().apply(envelope, headers)
        sign_node = zeep_signature._sign_node

        def sign_node_and_xroad_headers(ctx, signature, target, digest_method=None):
            sign_node(ctx, signature, target, digest_method)
            if target.tag == "{%s}Body" % SOAP_NS:
                for h in envelope.find("{%s}Header" % SOAP_NS):
                    if etree.QName(h).namespace == XROAD_NS:
                        sign_node(ctx, signature, h, digest_method)

        zeep_signature._sign_node = sign_node_and_xroad_headers
        try:
            return super().apply(envelope, headers)
        finally:
            zeep_signature._sign_node = sign_node

    def verify(self, envelope):
        key = xmlsec.Key.from_memory(self.server_cert, xmlsec.KeyFormat.CERT_PEM, None)
        zeep_signature._verify_envelope_with_key(envelope, key)
        return envelope
# --- end of the integrator's addition ---------------------------------------


def identifier(object_type, ident, service_code=None):
    instance, member_class, member_code, *rest = ident.split("/")
    out = {
        "objectType": object_type,
        "xRoadInstance": instance,
        "memberClass": member_class,
        "memberCode": member_code,
    }
    if rest:
        out["subsystemCode"] = rest[0]
    if service_code:
        out["serviceCode"] = service_code
        out["serviceVersion"] = "v1"
    return out


def main():
    p = argparse.ArgumentParser()
    for flag in ("url", "key", "cert", "server-cert", "client", "pin", "out"):
        p.add_argument("--" + flag, required=True)
    p.add_argument("--rsa", action="store_true", help="the key is RSA (default: ECDSA P-256)")
    p.add_argument("--stock", action="store_true", help="sign only Body and Timestamp, as BinarySignature does")
    a = p.parse_args()

    method = xmlsec.Transform.RSA_SHA256 if a.rsa else xmlsec.Transform.ECDSA_SHA256
    signer = XRoadBinarySignature(
        a.key, a.cert, a.server_cert, sign_xroad_headers=not a.stock,
        signature_method=method, digest_method=xmlsec.Transform.SHA256,
    )
    client = Client(a.url + "?wsdl", wsse=Compose([Timestamp(), signer]))
    service = client.create_service(
        "{http://population.tunduk.kg/registry/v1}populationRegistryBinding", a.url)
    headers = {
        "client": identifier("SUBSYSTEM" if a.client.count("/") == 3 else "MEMBER", a.client),
        "service": identifier("SERVICE", PROVIDER, "getPerson"),
        "id": str(uuid.uuid4()),
        "userId": "KG" + a.pin,
        "issue": "interop-zeep",
        "protocolVersion": "4.0",
    }
    # Send by hand to keep the exact bytes: zeep builds and signs the message
    # (wsse), the transport posts it, and process_reply verifies the answer's
    # signature (XRoadBinarySignature.verify) and decodes it.
    operation = "getPerson"
    envelope = client.create_message(service, operation, pin=a.pin, _soapheaders=headers)
    request = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
    with open(a.out + ".request", "wb") as f:
        f.write(request)
    response = client.transport.post(a.url, request, {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})
    with open(a.out, "wb") as f:
        f.write(response.content)
    binding = service._binding
    try:
        result = binding.process_reply(client, binding.get(operation), response)
    except Fault as fault:  # signed by the registry too: verified before this
        print("fault %s: %s" % (fault.code, fault.message))
        sys.exit(2)
    # Output headers in the WSDL make zeep return {header, body}.
    print("result %s; zeep (libxmlsec1) verified the response signature" % result["body"]["result"]["code"])


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # a one-line reason for the Go test's log
        print("%s: %s" % (type(exc).__name__, exc), file=sys.stderr)
        sys.exit(1)

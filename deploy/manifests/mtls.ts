// Optional mutual TLS between Prometheus and the receiver, with certificates from cert-manager:
// a self-signed root → a lab CA Issuer → a server certificate for the remote-write Service and a
// client certificate for Prometheus. Both Secrets carry ca.crt, which each side trusts: the
// receiver runs with --remote-write.server-tls-{cert,key,client-ca} and requires the client
// certificate; Prometheus' remote_write tls_config presents it and verifies the server.
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { NAMES, NS, svcDNS, HOSTS } from './config.ts';
import { type K8sObject, meta } from './common.ts';

const CA_SECRET = 'strata-lab-ca';

export function mtlsCertificates(): K8sObject[] {
  const ns = NS.monitoring;
  const selfSigned = new Issuer({ metadata: meta('strata-selfsigned', ns, 'mtls'), spec: { selfSigned: {} } });
  const ca = new Certificate({
    metadata: meta('strata-lab-ca', ns, 'mtls'),
    spec: {
      isCA: true,
      commonName: 'strata-lab-ca',
      secretName: CA_SECRET,
      duration: '87600h',
      privateKey: { algorithm: 'ECDSA', size: 256 },
      issuerRef: { name: 'strata-selfsigned', kind: 'Issuer', group: 'cert-manager.io' },
    },
  });
  const caIssuer = new Issuer({ metadata: meta('strata-lab-ca', ns, 'mtls'), spec: { ca: { secretName: CA_SECRET } } });
  const server = new Certificate({
    metadata: meta(NAMES.receiveTlsSecret, ns, 'mtls'),
    spec: {
      secretName: NAMES.receiveTlsSecret,
      commonName: svcDNS(NAMES.receiveRemoteWrite),
      dnsNames: [
        svcDNS(NAMES.receiveRemoteWrite),
        `${NAMES.receiveRemoteWrite}.${ns}.svc`,
        NAMES.receiveRemoteWrite,
        // Remote write from other clusters through the ingress host (TLS passthrough).
        HOSTS.receive,
      ],
      duration: '2160h',
      renewBefore: '360h',
      usages: ['server auth', 'digital signature', 'key encipherment'],
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      issuerRef: { name: 'strata-lab-ca', kind: 'Issuer', group: 'cert-manager.io' },
    },
  });
  const client = new Certificate({
    metadata: meta(NAMES.prometheusClientTlsSecret, ns, 'mtls'),
    spec: {
      secretName: NAMES.prometheusClientTlsSecret,
      commonName: 'prometheus',
      duration: '2160h',
      renewBefore: '360h',
      usages: ['client auth', 'digital signature', 'key encipherment'],
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      issuerRef: { name: 'strata-lab-ca', kind: 'Issuer', group: 'cert-manager.io' },
    },
  });
  return [selfSigned, ca, caIssuer, server, client];
}

/** Secrets the mTLS variant references that cert-manager creates from the Certificates above. */
export const CERT_MANAGER_SECRETS: readonly string[] = [CA_SECRET, NAMES.receiveTlsSecret, NAMES.prometheusClientTlsSecret];

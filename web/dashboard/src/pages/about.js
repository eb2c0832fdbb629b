// About: what Mitsu is and the data and software it is built on, with their licences.
import { api } from '../api.js';
import { h, append, panel, table } from '../dom.js';

const ext = (href, text) => h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, text || href);

const DATA = [
  ['GeoIP country and ASN data', 'ip-location-db (sapics), with data by RouteViews, DB-IP and the NRO', 'CC BY 4.0',
    'https://github.com/sapics/ip-location-db'],
  ['World map', 'Natural Earth (public domain), as TopoJSON by the world-atlas package', 'public domain / ISC',
    'https://www.naturalearthdata.com/'],
  ['Vulnerability disclosures', 'CVE® identifiers of the CVE Program (data/iot-cves.toml, compiled from the public CVE records)',
    'CVE Terms of Use', 'https://www.cve.org/'],
  ['ATT&CK technique ids', '© The MITRE Corporation. ATT&CK® is a registered trademark of The MITRE Corporation; used under its terms of use',
    'ATT&CK Terms of Use', 'https://attack.mitre.org/resources/legal-and-branding/terms-of-use/'],
  ['Known-malware hashes', 'MalwareBazaar exports by abuse.ch, when imported with `mitsu known import`', 'CC0',
    'https://bazaar.abuse.ch/'],
  ['Country names and codes', 'ISO 3166 via i18n-iso-countries', 'MIT', 'https://github.com/michaelwittig/node-i18n-iso-countries'],
];

// The npm packages bundled into this page (dist/assets/licenses.txt has their licence texts).
const PACKAGES = [
  ['d3-geo', '3.1.2', 'ISC'], ['d3-array', '3.2.5', 'ISC'], ['internmap', '2.0.3', 'ISC'],
  ['topojson-client', '3.1.0', 'ISC'], ['world-atlas', '2.0.2', 'ISC (data: Natural Earth, public domain)'],
  ['i18n-iso-countries', '7.14.0', 'MIT'], ['diacritics', '1.3.0', 'MIT'],
  ['esbuild (build only)', '0.28.2', 'MIT'], ['playwright-core (tests only)', '1.x', 'Apache-2.0'],
];

export default async function aboutPage(root) {
  const health = await api('health').catch(() => null);
  append(root, 
    h('h1', {}, 'About'),
    panel('Mitsu', h('p', {}, 'Mitsu is an IoT threat-intelligence platform: honeypot sensors emulating cameras, routers, ' +
      'NAS and other devices, a collector, static and sandbox malware analysis, and statistics on who attacks, how and with what.'),
      h('p', { class: 'muted' }, `API status: ${health?.status ?? 'unknown'}`)),
    panel('Data sources', table([['what', (r) => r[0]], ['from', (r) => r[1]], ['licence', (r) => r[2]], ['', (r) => ext(r[3], 'site')]], DATA)),
    panel('Software in this dashboard', table([['package', (r) => r[0]], ['version', (r) => r[1]], ['licence', (r) => r[2]]], PACKAGES),
      h('p', {}, h('a', { href: '/assets/licenses.txt' }, 'Full licence texts'))));
}

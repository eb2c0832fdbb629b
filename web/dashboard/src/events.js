// One line of text for a stored event (docs/events.md), used by the live ticker, the session
// page and the timeline. Only text: callers put it in with textContent.
import { get } from './format.js';

export const action = (e) => get(e, 'event.action') || '?';
export const sessionOf = (e) => get(e, 'mitsu.session.id');
export const shaOf = (e) => get(e, 'file.hash.sha256');

export function describe(e) {
  const a = action(e);
  const out = get(e, 'event.outcome');
  switch (a) {
    case 'session.open': return `connection from ${get(e, 'source.ip') ?? '?'}:${get(e, 'source.port') ?? ''}`;
    case 'session.close': return `closed${get(e, 'mitsu.session.end_reason') ? ` (${get(e, 'mitsu.session.end_reason')})` : ''}`;
    case 'login.attempt':
      return `login ${JSON.stringify(get(e, 'user.name') ?? '')} / ${JSON.stringify(get(e, 'mitsu.login.password') ?? '')} → ${out ?? '?'}`;
    case 'command': return `$ ${get(e, 'process.command_line') ?? ''}`;
    case 'exploit': {
      const v = get(e, 'vulnerability.id');
      return `exploit ${get(e, 'rule.id') ?? ''}${v ? ` (${[].concat(v).join(', ')})` : ''}`;
    }
    case 'http.request': {
      const q = get(e, 'url.query');
      return `${get(e, 'http.request.method') ?? ''} ${get(e, 'url.path') ?? ''}${q ? `?${q}` : ''}`;
    }
    case 'ftp.command': return `FTP ${get(e, 'mitsu.ftp.verb') ?? ''} ${get(e, 'mitsu.ftp.argument') ?? ''}`;
    case 'tftp.request': return `TFTP ${get(e, 'mitsu.tftp.operation') ?? ''} ${get(e, 'file.name') ?? ''}`;
    case 'ssdp.request': return `SSDP ${get(e, 'http.request.method') ?? ''} ${get(e, 'mitsu.ssdp.st') ?? ''}`;
    case 'upnp.action': return `UPnP ${get(e, 'mitsu.upnp.action') ?? ''}`;
    case 'smb.session': return `SMB login ${JSON.stringify(get(e, 'user.name') ?? '')} → ${out ?? '?'}`;
    case 'smb.tree_connect': return `SMB tree connect ${get(e, 'mitsu.smb.share') ?? ''} → ${out ?? '?'}`;
    case 'smb.create': return `SMB open ${get(e, 'file.path') ?? ''} → ${out ?? '?'}`;
    case 'file.download': return `download ${get(e, 'url.full') ?? ''} → ${out ?? '?'}`;
    case 'file.upload': return `upload ${get(e, 'file.name') ?? ''} (${get(e, 'file.size') ?? '?'} bytes)`;
    case 'device.file_created': case 'device.file_modified': case 'device.file_deleted':
      return `${a.slice(7).replace('_', ' ')} ${get(e, 'file.path') ?? ''}`;
    case 'zero_day_candidate': return `zero-day candidate (${get(e, 'mitsu.zero_day.reason') ?? ''})`;
    default: return a;
  }
}

// Where the event came from, short.
export const origin = (e) =>
  `${get(e, 'network.protocol') ?? ''} ${get(e, 'source.ip') ?? ''} → ${get(e, 'observer.name') ?? ''}`.trim();

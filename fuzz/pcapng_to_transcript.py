#!/usr/bin/python3
"""Turns a relay recording (PCAP-NG, raw IPv4/TCP) into a transcript for the smb_stream fuzz
target and the SMB decoder's replay test: records of one direction byte ('C' client to device,
'S' device to client), a little-endian u32 length, and the payload, in the recorded order.

usage: pcapng_to_transcript.py RECORDING.pcapng SERVER_PORT > transcript
"""
import struct
import sys

data = open(sys.argv[1], 'rb').read()
server_port = int(sys.argv[2])
out = bytearray()
at = 0
while at + 8 <= len(data):
    block_type, length = struct.unpack_from('<II', data, at)
    if block_type == 6:  # enhanced packet
        captured = struct.unpack_from('<I', data, at + 20)[0]
        packet = data[at + 28:at + 28 + captured]
        ihl = (packet[0] & 0x0F) * 4
        source_port = struct.unpack_from('!H', packet, ihl)[0]
        offset = (packet[ihl + 12] >> 4) * 4
        payload = packet[ihl + offset:]
        if payload:
            out += (b'S' if source_port == server_port else b'C')
            out += struct.pack('<I', len(payload)) + payload
    at += length
sys.stdout.buffer.write(bytes(out))

"""Every use of aiortc's, aioice's and pylibsrtp's private API, one module per object.

Pinned to aiortc==1.16.0 and aioice==0.13.0 (and pylibsrtp, see pyproject.toml). aiortc
has no public hook for receiving encoded RTP, nor for sending it, so the relay reaches
one level below:

- ``receiver.Ingress`` replaces ``RTCRtpReceiver._handle_rtp_packet`` on one receiver
  instance. It keeps what the publisher relies on (RTCP receiver statistics, RTX
  unwrapping, NACKs) and hands each RTP packet to the relay, skipping the depayloader,
  the jitter buffer (~33 ms video / ~80 ms audio of delay) and the decoder.
- ``sender.Egress`` writes RTP packets straight into an ``RTCRtpSender``'s transport,
  with the sender's SSRC, MID and header-extension map, and keeps the sender's
  retransmission history and RTCP sender-report counters up to date. The sender itself
  is given an ``IdleTrack`` whose ``recv()`` never returns, so its own encoding loop
  never runs.
- ``transport`` decrypts and routes incoming media in the socket callback.
- ``packet_io`` encrypts and sends outgoing packets, and decrypts incoming ones, in one
  compiled call each (``_packet_io.c``, optional) or in Python without pylibsrtp's
  per-call overhead; both give the same bytes (and parse received packets into the same
  ``RtpPacket``).
- ``batch_receive`` reads every datagram queued on a media socket in one ``recvmmsg``
  per wake-up (compiled path on asyncio's selector loop; otherwise asyncio reads).
- ``media_selector.MediaSelector`` is the media worker's epoll selector: its wait
  (``_media_wait.c``) reads media sockets and hands their datagrams to the compiled
  receiver itself, so a forwarded packet never wakes the loop's Python (asyncio's own
  ``_ready`` and ``_scheduled`` tell it when the loop has work).
- ``ice.use_host_addresses`` replaces ``aioice.ice.get_host_addresses``, which skips
  127.0.0.1, with the configured list.
- ``codecs`` pins payload types and header-extension ids across renegotiations, and
  counts codec calls (for the benchmark).

Each module declares the private names it touches in a module-level ``PRIVATE`` tuple
of ``names.PrivateName``; ``check.check_hooks()`` verifies every declaration against the
installed versions and raises ``HookError`` saying what broke
(``tests/media/test_hooks.py`` runs it).
"""

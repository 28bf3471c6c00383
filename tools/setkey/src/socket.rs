// SPDX-License-Identifier: GPL-2.0

//! The PF_KEY v2 socket: one datagram per message, each read whole.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use ipsec_core::pfkey::message::MSG_HDR_LEN;
use ipsec_core::pfkey::{parse_header, MsgHeader, MsgType, SaType, Writer};

/// `PF_KEY`.
const PF_KEY: libc::c_int = 15;
/// `PF_KEY_V2`, the socket protocol.
const PF_KEY_V2: libc::c_int = 2;
/// Largest message: `sadb_msg_len` is a 16-bit count of 8-byte units.
const MAX_MSG: usize = 0xffff * 8;

/// An open PF_KEY socket.
pub struct PfKey {
    fd: OwnedFd,
    pid: u32,
    seq: u32,
}

/// One message the kernel sent, header decoded.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The decoded header.
    pub header: MsgHeader,
    /// The whole message.
    pub bytes: Vec<u8>,
}

fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn check_len(rc: isize) -> io::Result<usize> {
    usize::try_from(rc).map_err(|_| io::Error::last_os_error())
}

impl PfKey {
    /// Opens a PF_KEY v2 socket (needs CAP_NET_ADMIN).
    pub fn open() -> io::Result<Self> {
        // SAFETY: socket(2) takes no pointers.
        let fd = check(unsafe { libc::socket(PF_KEY, libc::SOCK_RAW, PF_KEY_V2) })?;
        // SAFETY: `fd` is a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Self {
            fd,
            pid: std::process::id(),
            seq: 0,
        })
    }

    /// `sadb_msg_pid` of this process's requests.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The next `sadb_msg_seq` to use.
    pub fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Waits at most `timeout` in [`PfKey::recv`] (`None`: forever).
    pub fn set_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        let tv = timeout.map_or(
            libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            },
            |d| libc::timeval {
                tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
                tv_usec: libc::suseconds_t::from(d.subsec_micros()),
            },
        );
        let len = libc::socklen_t::try_from(std::mem::size_of::<libc::timeval>())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: `tv` lives across the call and `len` is its size.
        check(unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                std::ptr::from_ref(&tv).cast(),
                len,
            )
        })?;
        Ok(())
    }

    /// Sends one message.
    pub fn send(&self, msg: &[u8]) -> io::Result<()> {
        // SAFETY: `msg` is valid for `msg.len()` bytes during the call.
        let n = check_len(unsafe {
            libc::send(self.fd.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0)
        })?;
        if n != msg.len() {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "short send"));
        }
        Ok(())
    }

    /// Receives one whole message (its size first, with MSG_PEEK|MSG_TRUNC).
    pub fn recv(&self) -> io::Result<Reply> {
        let mut probe = [0u8; MSG_HDR_LEN];
        // SAFETY: `probe` is writable for its length; MSG_TRUNC makes the
        // call return the datagram's real size without writing more.
        let size = check_len(unsafe {
            libc::recv(
                self.fd.as_raw_fd(),
                probe.as_mut_ptr().cast(),
                probe.len(),
                libc::MSG_PEEK | libc::MSG_TRUNC,
            )
        })?;
        let mut bytes = vec![0u8; size.clamp(MSG_HDR_LEN, MAX_MSG)];
        // SAFETY: `bytes` is writable for its length.
        let n = check_len(unsafe {
            libc::recv(
                self.fd.as_raw_fd(),
                bytes.as_mut_ptr().cast(),
                bytes.len(),
                0,
            )
        })?;
        bytes.truncate(n);
        // af_key puts a reference count in sadb_msg_reserved of SPD
        // replies (setkey prints it as refcnt=); the core parser wants 0.
        let mut head = bytes.clone();
        if let Some(r) = head.get_mut(6..8) {
            r.fill(0);
        }
        let header = parse_header(&head).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad PF_KEY message: {e}"),
            )
        })?;
        Ok(Reply { header, bytes })
    }

    /// Receives until the reply to our request `seq` of type `msg_type`
    /// (messages for others, such as broadcasts of other processes'
    /// changes, are skipped).
    pub fn reply_to(&self, msg_type: MsgType, seq: u32) -> io::Result<Reply> {
        loop {
            let r = self.recv()?;
            if r.header.msg_type == msg_type && r.header.pid == self.pid && r.header.seq == seq {
                return Ok(r);
            }
        }
    }

    /// Sends `msg` (a request with our pid) and waits for its reply.
    pub fn request(&self, msg: &[u8]) -> io::Result<Reply> {
        let hdr = parse_header(msg)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        self.send(msg)?;
        self.reply_to(hdr.msg_type, hdr.seq)
    }

    /// Sends a header-only request of `msg_type` for `satype`; returns the
    /// sequence number used.
    pub fn send_short(&mut self, msg_type: MsgType, satype: SaType) -> io::Result<u32> {
        let seq = self.next_seq();
        let bytes = short_message(msg_type, satype, seq, self.pid);
        self.send(&bytes)?;
        Ok(seq)
    }

    /// A DUMP or X_SPDDUMP: calls `each` with every reply until the one
    /// with seq 0 (or an error reply, returned as `Err` with its errno).
    pub fn dump(
        &mut self,
        msg_type: MsgType,
        satype: SaType,
        mut each: impl FnMut(&Reply),
    ) -> io::Result<()> {
        self.send_short(msg_type, satype)?;
        loop {
            let r = self.recv()?;
            if r.header.msg_type != msg_type || r.header.pid != self.pid {
                continue;
            }
            if r.header.errno != 0 {
                return Err(io::Error::from_raw_os_error(i32::from(r.header.errno)));
            }
            each(&r);
            if r.header.seq == 0 {
                return Ok(());
            }
        }
    }
}

/// A message of only a header.
pub fn short_message(msg_type: MsgType, satype: SaType, seq: u32, pid: u32) -> Vec<u8> {
    let mut buf = vec![0u8; MSG_HDR_LEN];
    let mut w = Writer::new(&mut buf);
    let n = w
        .header(&MsgHeader::new(msg_type, satype, seq, pid))
        .and_then(|()| w.finish())
        .unwrap_or(0);
    buf.truncate(n);
    buf
}

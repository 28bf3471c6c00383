// SPDX-License-Identifier: GPL-2.0

//! Linux error numbers, as the protocol core reports them.
//!
//! C header: [include/uapi/asm-generic/errno-base.h](srctree/include/uapi/asm-generic/errno-base.h)
//! and [include/uapi/asm-generic/errno.h](srctree/include/uapi/asm-generic/errno.h).
//!
//! Values are positive, as they travel in `sadb_msg_errno`; the kernel glue
//! negates them ([`Errno::to_neg`]) for a syscall return.

/// A Linux error number (positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    /// Operation not permitted.
    pub const EPERM: Errno = Errno(1);
    /// No such file or directory (no such entry).
    pub const ENOENT: Errno = Errno(2);
    /// No such process (af_key's "no such SA").
    pub const ESRCH: Errno = Errno(3);
    /// Interrupted system call.
    pub const EINTR: Errno = Errno(4);
    /// I/O error.
    pub const EIO: Errno = Errno(5);
    /// Argument list too long.
    pub const E2BIG: Errno = Errno(7);
    /// Try again.
    pub const EAGAIN: Errno = Errno(11);
    /// Out of memory.
    pub const ENOMEM: Errno = Errno(12);
    /// Bad address.
    pub const EFAULT: Errno = Errno(14);
    /// Device or resource busy.
    pub const EBUSY: Errno = Errno(16);
    /// File exists (entry exists).
    pub const EEXIST: Errno = Errno(17);
    /// Invalid argument.
    pub const EINVAL: Errno = Errno(22);
    /// No space left on device.
    pub const ENOSPC: Errno = Errno(28);
    /// Function not implemented.
    pub const ENOSYS: Errno = Errno(38);
    /// Message too long.
    pub const EMSGSIZE: Errno = Errno(90);
    /// Protocol not supported.
    pub const EPROTONOSUPPORT: Errno = Errno(93);
    /// Operation not supported.
    pub const EOPNOTSUPP: Errno = Errno(95);
    /// Address family not supported by protocol.
    pub const EAFNOSUPPORT: Errno = Errno(97);
    /// No buffer space available.
    pub const ENOBUFS: Errno = Errno(105);

    /// The negative value a kernel function returns for this error.
    pub const fn to_neg(self) -> i32 {
        self.0.wrapping_neg()
    }

    /// The symbolic name, if this is one of the constants above.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "EPERM",
            2 => "ENOENT",
            3 => "ESRCH",
            4 => "EINTR",
            5 => "EIO",
            7 => "E2BIG",
            11 => "EAGAIN",
            12 => "ENOMEM",
            14 => "EFAULT",
            16 => "EBUSY",
            17 => "EEXIST",
            22 => "EINVAL",
            28 => "ENOSPC",
            38 => "ENOSYS",
            90 => "EMSGSIZE",
            93 => "EPROTONOSUPPORT",
            95 => "EOPNOTSUPP",
            97 => "EAFNOSUPPORT",
            105 => "ENOBUFS",
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_values() {
        assert_eq!(Errno::EINVAL.0, 22);
        assert_eq!(Errno::ENOBUFS.0, 105);
        assert_eq!(Errno::EMSGSIZE.0, 90);
        assert_eq!(Errno::EINVAL.to_neg(), -22);
        assert_eq!(Errno::EAFNOSUPPORT.name(), Some("EAFNOSUPPORT"));
        assert_eq!(Errno(6).name(), None);
    }
}

//! Which XDP programs an interface holds, hook by hook: one RTM_GETLINK request on a
//! NETLINK_ROUTE socket, the question libbpf's `bpf_xdp_query` asks. Aya 0.14.0 attaches and
//! detaches XDP through netlink when it has to, but has no public call that reads the
//! attachment back, so `xdp` asks the kernel here, with libc.

use std::{
    io, mem,
    os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd},
};

/// `IFLA_XDP`'s nested attributes (linux/if_link.h): the program in each hook.
const IFLA_XDP_DRV_PROG_ID: u16 = 5;
const IFLA_XDP_SKB_PROG_ID: u16 = 6;
/// The attribute type without the nested and byte-order flags (linux/netlink.h).
const NLA_TYPE_MASK: u16 = !(libc::NLA_F_NESTED | libc::NLA_F_NET_BYTEORDER) as u16;
/// Netlink messages and attributes are padded to 4 bytes.
const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// The XDP program ids on one interface; 0 where a hook has none.
#[derive(Default)]
pub struct XdpProgIds {
    /// The driver's hook (native mode).
    pub driver: u32,
    /// The generic hook (SKB mode).
    pub generic: u32,
}

/// The request: a netlink header and the `ifinfomsg` naming the interface.
#[repr(C)]
struct Request {
    header: libc::nlmsghdr,
    info: libc::ifinfomsg,
}

/// Asks the kernel for interface `ifindex` and reads its `IFLA_XDP` attribute.
pub fn xdp_prog_ids(ifindex: u32) -> io::Result<XdpProgIds> {
    // SAFETY: a plain socket(2); the fd is owned from here on.
    let sock = unsafe {
        let fd = libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_ROUTE,
        );
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        OwnedFd::from_raw_fd(fd)
    };

    // SAFETY: both are plain C structs, valid all zeroes.
    let mut request: Request = unsafe { mem::zeroed() };
    request.header.nlmsg_len = size_of::<Request>() as u32;
    request.header.nlmsg_type = libc::RTM_GETLINK;
    request.header.nlmsg_flags = libc::NLM_F_REQUEST as u16;
    request.header.nlmsg_seq = 1;
    request.info.ifi_family = libc::AF_UNSPEC as u8;
    request.info.ifi_index = ifindex as i32;
    // SAFETY: the request is live for the call and its length is its size.
    let sent = unsafe {
        libc::send(
            sock.as_raw_fd(),
            (&raw const request).cast(),
            size_of::<Request>(),
            0,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }

    // One RTM_NEWLINK answers (a few KiB with the statistics), or an NLMSG_ERROR.
    let mut buf = vec![0u8; 64 * 1024];
    // SAFETY: buf is live and writable for its length.
    let n = unsafe { libc::recv(sock.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    let Ok(n) = usize::try_from(n) else {
        return Err(io::Error::last_os_error());
    };
    let reply = &buf[..n];
    let malformed = || io::Error::new(io::ErrorKind::InvalidData, "malformed RTM_NEWLINK reply");
    let header_len = size_of::<libc::nlmsghdr>();
    if reply.len() < header_len {
        return Err(malformed());
    }
    // SAFETY: at least a header's bytes; read unaligned from the byte buffer.
    let header: libc::nlmsghdr =
        unsafe { reply.as_ptr().cast::<libc::nlmsghdr>().read_unaligned() };
    let len = (header.nlmsg_len as usize).min(reply.len());
    if header.nlmsg_type == libc::NLMSG_ERROR as u16 {
        let error = reply
            .get(header_len..header_len + 4)
            .map_or(0, |b| i32::from_ne_bytes(b.try_into().expect("4 bytes")));
        return Err(io::Error::from_raw_os_error(-error));
    }
    let attrs_at = header_len + align4(size_of::<libc::ifinfomsg>());
    if header.nlmsg_type != libc::RTM_NEWLINK || len < attrs_at {
        return Err(malformed());
    }

    let mut ids = XdpProgIds::default();
    if let Some(xdp) = attributes(&reply[attrs_at..len]).find(|&(ty, _)| ty == libc::IFLA_XDP) {
        for (ty, value) in attributes(xdp.1) {
            let Ok(id) = <[u8; 4]>::try_from(value) else {
                continue;
            };
            match ty {
                IFLA_XDP_DRV_PROG_ID => ids.driver = u32::from_ne_bytes(id),
                IFLA_XDP_SKB_PROG_ID => ids.generic = u32::from_ne_bytes(id),
                _ => {}
            }
        }
    }
    Ok(ids)
}

/// The (type, payload) of each netlink attribute in `bytes`.
fn attributes(mut bytes: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let len = usize::from(u16::from_ne_bytes(bytes.get(0..2)?.try_into().ok()?));
        let ty = u16::from_ne_bytes(bytes.get(2..4)?.try_into().ok()?) & NLA_TYPE_MASK;
        let value = bytes.get(4..len)?;
        bytes = bytes.get(align4(len)..).unwrap_or_default();
        Some((ty, value))
    })
}

"""IP addresses and CIDR ranges; IPv4-mapped IPv6 folds to IPv4 so one host has one key."""

import ipaddress

from registry.messages import msg

from .base import IdentifierError, ParsedIdentifier

_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def _address(text: str, kind: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        addr = ipaddress.ip_address(text.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        # ipaddress also lands here for leading zeros ("010.0.0.1"): octal or decimal is ambiguous.
        raise IdentifierError(kind, msg("not an IP address: {text!r}", text=text.strip())) from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _network(text: str, kind: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, bool]:
    text = text.strip()
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise IdentifierError(kind, msg("not a CIDR range: {text!r}", text=text)) from None
    cleared = net.network_address != ipaddress.ip_interface(text).ip
    if isinstance(net, ipaddress.IPv6Network) and net.prefixlen >= 96 and net.subnet_of(_MAPPED):
        net = ipaddress.IPv4Network((net.network_address.ipv4_mapped, net.prefixlen - 96))
    return net, cleared


def parse_ip(value: str) -> ParsedIdentifier:
    addr = _address(value, "ip")
    attributes = {"version": addr.version, "private": addr.is_private, "global": addr.is_global}
    return ParsedIdentifier("ip", str(addr), str(addr), attributes)


def parse_ip_range(value: str) -> ParsedIdentifier:
    net, cleared = _network(value, "ip_range")
    attributes: dict = {
        "version": net.version,
        # JSON numbers lose precision past 2**53, and an IPv6 /64 alone holds 2**64 addresses.
        "num_addresses": net.num_addresses if net.version == 4 else str(net.num_addresses),
        "first": str(net.network_address),
        "last": str(net.broadcast_address),
    }
    if cleared:
        attributes["host_bits_cleared"] = True
    return ParsedIdentifier("ip_range", str(net), str(net), attributes)


def ip_in_range(ip: str, cidr: str) -> bool:
    """Whether the address lies in the range (after folding IPv4-mapped IPv6 on both sides)."""
    addr = _address(ip, "ip")
    net, _ = _network(cidr, "ip_range")
    return addr.version == net.version and addr in net

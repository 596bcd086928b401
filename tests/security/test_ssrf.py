"""Webhook targets: IPv6 forms that carry an IPv4 address are judged by where the packets end up."""
from __future__ import annotations

import ipaddress

import pytest

from tracker import webhooks
from tracker.errors import Invalid

REFUSED = "may not call loopback, private, link-local or metadata addresses"


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::7f00:1]/",  # NAT64 (RFC 6052) of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the cloud metadata address 169.254.169.254
        "http://[64:ff9b:1::7f00:1]/",  # local-use NAT64 prefix (RFC 8215): the network's own translator
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[2002:a00:5::1]/",  # 6to4 of 10.0.0.5
        "http://[::127.0.0.1]/",  # IPv4-compatible
        "http://[::10.0.0.5]/",
        "http://[::ffff:0:7f00:1]/",  # IPv4-translated (SIIT)
        "http://[::ffff:10.0.0.5]/",  # IPv4-mapped
        "http://[2001:0:7f00:1::1]/",  # Teredo whose server is 127.0.0.1
        "http://[2001:0:808:808::f5ff:ffd2]/",  # Teredo whose client is 10.0.0.45 (obfuscated)
    ],
)
def test_ipv6_forms_that_embed_a_private_ipv4_are_refused(app, url):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    with pytest.raises(Invalid) as exc:
        webhooks.resolve(url)
    assert REFUSED in exc.value.errors["url"][0]


@pytest.mark.parametrize(
    "url",
    [
        "http://[2606:4700:4700::1111]/",  # a public IPv6 address
        "http://[2a00:1450:4001:82b::200e]/hook",
        "http://[::ffff:8.8.8.8]/",  # IPv4-mapped public address
        "http://[64:ff9b::808:808]/",  # NAT64 of a public address
        "http://[2002:808:808::1]/",  # 6to4 of a public address
        "http://93.184.215.14/",
    ],
)
def test_public_addresses_in_every_form_are_still_allowed(app, url):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    host, port, addresses = webhooks.resolve(url)
    assert port == 80 and len(addresses) == 1


def test_teredo_carries_both_the_server_and_the_deobfuscated_client():
    """The hand-worked example of RFC 4380: server 65.54.227.120, client 192.0.2.45 (documentation)."""
    address = ipaddress.ip_address("2001:0:4136:e378:8000:63bf:3fff:fdd2")
    assert address.teredo == (ipaddress.ip_address("65.54.227.120"), ipaddress.ip_address("192.0.2.45"))
    assert not webhooks._public(address)  # the client is a documentation address, not a public one

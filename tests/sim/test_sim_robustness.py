"""Every OSC simulator survives garbage: mutated packets are ignored or applied, never a crash."""

from __future__ import annotations

import json
import random

import pytest
from osc_client import Watcher, udp_client

from cuebridge.protocols.osc import OscBundle, encode_packet, osc_message
from cuebridge.sim.eos import EosSim
from cuebridge.sim.generic_osc import GenericOscSim
from cuebridge.sim.media import MediaSim
from cuebridge.sim.osc_sim import OscSim
from cuebridge.sim.qlab import QLabSim
from cuebridge.sim.x32 import X32Sim

SEEDS = [
    osc_message("/ch/01/mix/fader", "f", 0.5),
    osc_message("/-action/goscene", "i", 3),
    osc_message("/eos/cue/1/5/fire"),
    osc_message("/eos/sub/2", "f", 0.5),
    osc_message("/connect", "s", "1234"),
    osc_message("/cue/12/start"),
    osc_message("/composition/layers/1/clips/2/connect", "i", 1),
    osc_message("/d3/showcontrol/play", "f", 1.0),
    osc_message("/millumin/index:2/opacity", "f", 0.5),
    osc_message("/anything", "isfTb", 1, "x", 2.5, b"\x00\x01"),
]
PACKETS = 300
BATCH = 25


def mutated(rng: random.Random) -> bytes:
    """A valid packet, a bundle of them, or one with flipped, cut or added bytes."""
    message = rng.choice(SEEDS)
    data = bytearray(encode_packet(message))
    choice = rng.random()
    if choice < 0.2:
        return bytes(data)
    if choice < 0.3:
        return encode_packet(OscBundle(1, (message, rng.choice(SEEDS))))
    if choice < 0.6:
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if choice < 0.8:
        return bytes(data[: rng.randrange(1, len(data))])
    return bytes(data) + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))


@pytest.mark.parametrize("simulator", [X32Sim, EosSim, QLabSim, MediaSim, GenericOscSim])
async def test_garbage_is_ignored_and_the_device_keeps_working(simulator: type[OscSim]) -> None:
    sim = simulator("dev")
    await sim.start()
    rng = random.Random(f"robustness {simulator.__name__}")
    try:
        watcher = Watcher(sim.endpoint)
        async with udp_client(sim.port) as client:
            for batch in range(PACKETS // BATCH):
                for _ in range(BATCH):
                    client.send_raw(mutated(rng))
                marker = f"/cuebridge-test/batch/{batch}"
                client.send(marker)  # waiting for it keeps the socket buffer from overflowing
                heard = await watcher.wait(1)
                while heard[-1].text != marker:
                    heard = await watcher.wait(len(heard) + 1)
        stats = sim.stats()
        assert "internal_error" not in stats["ignored"], stats["last_ignored"]
        assert stats["packets"] == PACKETS + PACKETS // BATCH
        assert stats["ignored_total"] > 0
        json.dumps(sim.state())
        json.dumps(stats)
    finally:
        await sim.aclose()

"""OSC control end to end over UDP: native and QLab addresses, replies, press/release, roles."""

from __future__ import annotations

import asyncio

from osc_harness import RecordingOutput, UdpClient, envelope, make_show, serve, wait_for

from cuebridge.control.osc_service import OscControlOptions, osc_control
from cuebridge.core.commands import Go, GoCue, LoadCue, StandbyNext, StartCue, Stop
from cuebridge.core.control_settings import OscAccess
from cuebridge.protocols.osc import osc_message
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.daemon import Daemon

VIEWERS_ONLY = OscAccess(allow={}, passcodes={"letmein": "operator", "look": "viewer"})


async def test_native_go_reaches_the_engine_with_its_source_and_role() -> None:
    async with serve(make_show()) as run:
        client = await UdpClient.open(run.port)
        try:
            client.send(osc_message("/cuebridge/go"))
            await wait_for(lambda: len(run.output.sent) == 1)
            command = run.commands[0]
            assert isinstance(command, Go)
            assert command.source == f"osc:127.0.0.1:{client.port}"
            assert command.role == "operator"
        finally:
            client.close()


async def test_ping_answers_pong_with_the_same_arguments() -> None:
    async with serve(make_show()) as run:
        client = await UdpClient.open(run.port)
        try:
            client.send(osc_message("/cuebridge/ping", "is", 7, "x"))
            pong = await client.receive()
            assert pong.address == "/cuebridge/pong"
            assert pong.values == (7, "x")
        finally:
            client.close()


async def test_qlab_actions_reply_only_after_always_reply() -> None:
    async with serve(make_show()) as run:
        client = await UdpClient.open(run.port)
        try:
            client.send(osc_message("/go"))
            await wait_for(lambda: len(run.commands) == 1)
            client.send(osc_message("/alwaysReply", "i", 1))
            ack = envelope(await client.receive())
            assert ack == {"address": "/alwaysReply", "status": "ok"}
            client.send(osc_message("/playhead/next"))
            answer = await client.receive()
            assert answer.address == "/reply/playhead/next"
            body = envelope(answer)
            assert body["status"] == "ok"
            assert body["address"] == "/playhead/next"
            assert len(body["workspace_id"]) == 36
            assert isinstance(run.commands[-1], StandbyNext)
        finally:
            client.close()


async def test_cue_addresses_map_to_engine_commands() -> None:
    async with serve(make_show()) as run:
        client = await UdpClient.open(run.port)
        try:
            for address in (
                "/cue/3/start",
                "/cuebridge/cue/2/go",
                "/cue/02/stop",
                "/playhead/3",
                "/cuebridge/cue/1/load",
            ):
                client.send(osc_message(address))
            await wait_for(lambda: len(run.commands) == 5)
            assert run.commands[0] == StartCue(
                number="3", source=run.commands[0].source, role="operator"
            )
            assert isinstance(run.commands[1], GoCue)
            assert run.commands[1].number == "2"
            assert isinstance(run.commands[2], Stop)
            assert run.commands[2].number == "2"
            assert isinstance(run.commands[3], LoadCue)
            assert run.commands[3].number == "3"
            assert isinstance(run.commands[4], LoadCue)
            assert run.commands[4].number == "1"
        finally:
            client.close()


async def test_release_is_ignored_and_press_fires_once() -> None:
    async with serve(make_show()) as run:
        client = await UdpClient.open(run.port)
        try:
            client.send(osc_message("/alwaysReply", "T"))
            await client.receive()
            # TouchOSC: 1.0 on press, 0.0 on release; Eos: the same; ints and bools too
            for tags, value in (("f", 1.0), ("f", 0.0), ("i", 0), ("F", None), ("f", 0.5)):
                args = () if value is None else (value,)
                client.send(osc_message("/cuebridge/go", tags, *args))
                body = envelope(await client.receive())
                assert body["status"] == "ok"
            assert [type(c).__name__ for c in run.commands] == ["Go"]
            stats = run.server.dispatcher.stats
            assert stats.ignored == {"release": 3, "neither": 1}
        finally:
            client.close()


async def test_positive_floats_option_makes_any_float_above_zero_a_press() -> None:
    async with serve(make_show(), positive_floats=True) as run:
        client = await UdpClient.open(run.port)
        try:
            client.send(osc_message("/go", "f", 0.5))
            await wait_for(lambda: len(run.commands) == 1)
        finally:
            client.close()


async def test_bad_requests_get_error_replies_and_are_counted() -> None:
    async with serve(make_show()) as run:
        client = await UdpClient.open(run.port)
        try:
            client.send(osc_message("/nothing/here"))  # no reply yet: not asked for
            client.send(osc_message("/alwaysReply", "i", 1))
            assert envelope(await client.receive())["address"] == "/alwaysReply"
            cases = [
                (osc_message("/nothing/here"), "/reply/nothing/here"),
                (osc_message("/go", "s", "now"), "/reply/go"),
                (osc_message("/cue/99/start"), "/reply/cue/99/start"),
                (osc_message("/cuebridge/go/nolist"), "/reply/cuebridge/go/nolist"),
            ]
            for message, expected in cases:
                client.send(message)
                answer = await client.receive()
                assert answer.address == expected
                assert envelope(answer)["status"] == "error"
            # a bad type tag: the address is salvaged for the error reply
            client.send_raw(b"/go\x00,\xff\x00\x00")
            answer = await client.receive()
            assert answer.address == "/reply/go"
            assert envelope(answer)["status"] == "error"
            rejected = run.server.dispatcher.stats.rejected
            assert rejected == {
                "unknown-address": 2,
                "bad-arguments": 1,
                "unknown-cue": 2,
                "decode": 1,
            }
            assert run.commands == []
        finally:
            client.close()


async def test_a_viewer_is_denied_until_it_connects_with_an_operator_passcode() -> None:
    async with serve(make_show(access=VIEWERS_ONLY)) as run:
        client = await UdpClient.open(run.port)
        try:
            client.send(osc_message("/alwaysReply", "i", 1))
            await client.receive()
            client.send(osc_message("/go"))
            assert envelope(await client.receive())["status"] == "denied"
            client.send(osc_message("/connect", "s", "wrong"))
            body = envelope(await client.receive())
            assert (body["status"], body["data"]) == ("denied", "badpass")
            client.send(osc_message("/connect", "s", "look"))
            assert envelope(await client.receive())["data"] == "ok:view"
            client.send(osc_message("/go"))
            assert envelope(await client.receive())["status"] == "denied"
            client.send(osc_message("/connect", "s", "letmein"))
            assert envelope(await client.receive())["data"] == "ok:view|control"
            client.send(osc_message("/go"))
            assert envelope(await client.receive())["status"] == "ok"
            await wait_for(lambda: len(run.commands) == 1)
            assert run.commands[0].role == "operator"
        finally:
            client.close()


async def test_role_none_refuses_even_queries_but_not_connect() -> None:
    access = OscAccess(allow={}, default_role="none", passcodes={"pw": "viewer"})
    async with serve(make_show(access=access)) as run:
        client = await UdpClient.open(run.port)
        try:
            client.send(osc_message("/cueLists"))
            assert envelope(await client.receive())["status"] == "denied"
            client.send(osc_message("/connect", "s", "pw"))
            assert envelope(await client.receive())["data"] == "ok:view"
            client.send(osc_message("/cueLists"))
            body = envelope(await client.receive())
            assert body["status"] == "ok"
            assert [cue["number"] for cue in body["data"][0]["cues"]] == ["1", "2", "3"]
        finally:
            client.close()


async def test_guessing_passcodes_locks_the_host_out() -> None:
    async with serve(make_show(access=VIEWERS_ONLY)) as run:
        client = await UdpClient.open(run.port)
        try:
            for _ in range(5):
                client.send(osc_message("/connect", "s", "guess"))
                assert envelope(await client.receive())["data"] == "badpass"
            client.send(osc_message("/connect", "s", "letmein"))
            assert envelope(await client.receive())["data"] == "denied"
            assert run.server.dispatcher.stats.rejected["connect-badpass"] == 5
        finally:
            client.close()


async def test_workspace_prefixed_addresses_and_queries() -> None:
    async with serve(make_show()) as run:
        client = await UdpClient.open(run.port)
        try:
            client.send(osc_message("/workspaces"))
            workspaces = envelope(await client.receive())
            assert "workspace_id" not in workspaces
            workspace = workspaces["data"][0]["uniqueID"]
            client.send(osc_message(f"/workspace/{workspace}/thump"))
            thump = await client.receive()
            assert thump.address == f"/reply/workspace/{workspace}/thump"
            assert envelope(thump)["data"] == "thump"
            assert envelope(thump)["workspace_id"] == workspace
            client.send(osc_message(f"/workspace/{workspace}/go"))
            await wait_for(lambda: len(run.commands) == 1)
            client.send(osc_message("/workspace/not-this-one/go"))
            client.send(osc_message("/cue/playhead/valuesForKeys", "s", '["number","name"]'))
            values = await client.receive()
            assert values.address.startswith("/reply/cue_id/")
            assert envelope(values)["data"] == {"number": "2", "name": "Lights up"}
            await asyncio.sleep(0.05)
            assert len(run.commands) == 1
        finally:
            client.close()


async def test_bundles_are_unpacked_in_order() -> None:
    from cuebridge.protocols.osc import IMMEDIATELY, OscBundle, encode_packet

    async with serve(make_show()) as run:
        client = await UdpClient.open(run.port)
        try:
            bundle = OscBundle(
                IMMEDIATELY, (osc_message("/playhead/3"), osc_message("/cuebridge/go"))
            )
            client.send_raw(encode_packet(bundle))
            await wait_for(lambda: len(run.commands) == 2)
            assert [type(c).__name__ for c in run.commands] == ["LoadCue", "Go"]
        finally:
            client.close()


async def test_a_busy_port_leaves_the_show_running_with_a_notice() -> None:
    loop = asyncio.get_running_loop()
    taken, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    port = taken.get_extra_info("sockname")[1]
    output = RecordingOutput("desk")
    service = osc_control(OscControlOptions(port=port))
    daemon = Daemon(make_show(), {"desk": output}, MonotonicClock(), (service,))
    task = asyncio.create_task(daemon.run())
    try:
        await asyncio.wait_for(daemon.ready.wait(), 5)
        await wait_for(lambda: bool(daemon.notices.items()))
        assert "OSC control cannot listen" in daemon.notices.items()[0].message
        daemon.loop.submit(Go(source="test"))
        await wait_for(lambda: len(output.sent) == 1)
    finally:
        daemon.request_stop()
        await asyncio.wait_for(task, 5)
        taken.close()

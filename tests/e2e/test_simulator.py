"""The phone simulator as `make run` mounts it: the service's directory, timelines, its clock."""

from __future__ import annotations

from aiohttp import ClientSession

from integrations.fake_twilio import PhoneBehaviour
from tests.e2e.conftest import Service
from tests.e2e.test_calls import FOSTER_CARER, script


async def test_the_simulator_lists_the_service_and_links_each_call_to_its_timeline(
    service: Service,
) -> None:
    script(service, sw004=PhoneBehaviour.ACCEPT)
    trace = await service.fake.place_inbound_call(from_=FOSTER_CARER, to=service.lines["foster"])
    await service.fake.settle()
    async with ClientSession() as http:
        async with http.get(service.url("/fake/")) as page:
            html = await page.text()
        async with http.get(service.url(f"/demo/calls/{trace.call_sid}")) as timeline:
            timeline_html = await timeline.text()
        async with http.get(service.url("/demo/clock")) as clock:
            now = (await clock.json())["now"]
    assert page.status == 200
    assert "Foster carers" in html and "Foster carer FC-001" in html
    assert "(sw004, on duty)" in html  # the people on duty are listed first
    assert 'data-clock-url="/demo/clock"' in html
    assert f"/demo/calls/{trace.call_sid}" in html
    assert timeline.status == 200 and "call.accepted" in timeline_html
    assert now.startswith("2027-01-08T23:00")

"""Member tags: ``GET``/``POST /lists/{id}/members/{hash}/tags``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from crmtui.sandbox.mailchimp.errors import _body, _invalid, _required
from crmtui.sandbox.mailchimp.members import Members
from crmtui.sandbox.mailchimp.wire import iso


class Tags(Members):
    """The tags route (tags themselves live on :class:`~.record.Member`)."""

    async def h_tags(self, request: Request) -> Response:
        """``GET``/``POST`` ``/lists/{id}/members/{hash}/tags``."""
        m = self._member_or_404(request.path_params["list_id"], request.path_params["hash"])
        if request.method == "GET":
            return self._json(
                request,
                {
                    "tags": [
                        {"id": self._tag_id(t), "name": t, "date_added": iso(m.last_changed)} for t in m.tags
                    ],
                    "total_items": len(m.tags),
                    "_links": [],
                },
            )
        body = await _body(request)
        items = body.get("tags")
        if not isinstance(items, list):
            raise _invalid([_required("tags")])
        add: list[str] = []
        remove: list[str] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise _invalid([{"field": f"tags.item:{i}", "message": "Schema describes object"}])
            name = self._check_tag_names([item.get("name")], "tags")[0]
            st = item.get("status")
            if st == "active":
                add.append(name)
            elif st == "inactive":
                remove.append(name)
            else:
                raise _invalid(
                    [
                        {
                            "field": f"tags.item:{i}.status",
                            "message": "Data presented is not one of the accepted values: active, inactive.",
                        }
                    ]
                )
        # is_syncing only suppresses tag automations, which the simulator does not run.
        new_tags = tuple(t for t in m.tags if t not in remove) + tuple(
            t for t in dict.fromkeys(add) if t not in m.tags and t not in remove
        )
        if new_tags != m.tags:
            m.tags = new_tags
            for t in new_tags:
                self._tag_id(t)
            self._touch(m)
        return Response(status_code=204)

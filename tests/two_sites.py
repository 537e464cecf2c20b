"""Two sites' cribs in one installation, for the tests of a user limited to one site."""

from types import SimpleNamespace

from toolcrib.crib import people, services
from toolcrib.crib.models import Site


def two_sites(*, tool_factory, engineer, storekeeper, desk, make_user, crib_admin):
    """RIX and VNO. Engineer Ivan holds one tool of each (issued by an unlimited storekeeper);
    a return that ended the shift sent both to a recount (one line each). Each site has a tool
    in the crib. rix_store, rix_desk and rix_qa are limited to RIX; stella, rita and the admin
    see every site."""
    rix = Site.objects.create(code="RIX", name="Riga line maintenance")
    vno = Site.objects.create(code="VNO", name="Vilnius base")
    r_free, r_held = tool_factory("RIX-1", site=rix), tool_factory("RIX-2", site=rix, crib="A")
    v_free, v_held = tool_factory("VNO-1", site=vno), tool_factory("VNO-2", site=vno)
    r_issue = services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(r_held)]
    )
    v_issue = services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(v_held)]
    )
    the_return = services.return_tools(
        engineer=engineer, desk_user=desk, sightings=[], ends="shift"
    )
    lines = {line.issued_tool.tool_instance.site.code: line for line in the_return.tools.all()}
    limited = {}
    for name, role in (("rix_store", "storekeeper"), ("rix_desk", "return desk"), ("rix_qa", "QA")):
        user = make_user(name, role)
        people.set_site(user, rix, by=crib_admin)
        limited[name] = user
    return SimpleNamespace(
        rix=rix,
        vno=vno,
        r_free=r_free,
        r_held=r_held,
        v_free=v_free,
        v_held=v_held,
        r_issue=r_issue,
        v_issue=v_issue,
        the_return=the_return,
        r_line=lines["RIX"],
        v_line=lines["VNO"],
        engineer=engineer,
        **limited,
    )

"""The address a request came from, for log-in throttling.

Behind TOOLCRIB_PROXY_COUNT proxies (nginx, a load balancer), REMOTE_ADDR is the nearest proxy
and each proxy appends the address it saw to X-Forwarded-For. Counting from the end of
[X-Forwarded-For..., REMOTE_ADDR] past the proxies gives the address the outermost proxy saw:
a client cannot pose as another by sending an X-Forwarded-For of its own (it lands further left).
"""

from django.conf import settings


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TOOLCRIB_PROXY_COUNT
    if not proxies:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    chain = [a.strip() for a in forwarded.split(",") if a.strip()] + [remote]
    return chain[max(0, len(chain) - 1 - proxies)]

"""What the outside world calls: the HTTP endpoints of ``crmtui serve`` (Starlette).

:mod:`crmtui.endpoints.server` receives the webhooks (Mailchimp, Copper, SES through SNS), the
tracking pixel and link redirects, and the one-click unsubscribe, and turns each into an engine
event (:mod:`crmtui.engine.events_in`). It sits above the engine and below the console and the
command line: the sandbox starts it beside its simulators, ``crmtui serve`` in production.
"""

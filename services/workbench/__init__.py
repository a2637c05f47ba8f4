"""The advisors' workbench: advisors, their coordinator and management sign in (OpenID Connect)
and work from server-rendered pages. It keeps only sessions and coded case facts of its own."""

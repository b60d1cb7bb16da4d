"""Tooling for people, never for Lambda: the `postdesk` command, the local stack, provisioning from
infra/, the deploy, the cost model, model training, the demo and the load driver. The Lambda zip
holds only the ``postdesk`` package (functions/vendor links it alone)."""

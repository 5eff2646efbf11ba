"""Microsoft Purview's Unified Catalog (data plane, preview): business domains, data products, data assets
and the relationships between assets and products, under ``/datagovernance/catalog`` on the Purview
listener (api-versions ``2025-09-15-preview`` and ``2026-03-20-preview``, required).

Modules: ``paths`` (which requests are the catalog's, their log classes), ``fields`` (checking request
fields, the refusals), ``state`` (the stores), ``paging``, ``domains``, ``products``, ``assets``,
``relationships``, ``ratelimit``, ``snapshot`` (the control API's typed view). Importing this package
imports nothing heavy: the control client reads :mod:`.snapshot`.

Errors are Azure.Core's ``{"error": {"code", "message", "target"?}}`` with ``x-ms-error-code`` on every
error response of these paths (the gateway's 401/404/405/429 included). The service documents no
error codes and leaves much unsaid; where it is silent the emulator chose, and these choices are
**unverified** against the real service:

- a malformed uuid in the path, a field of the wrong JSON type or a value outside its enum (enum
  values are case-sensitive, ``entityType`` included) is 400 ``InvalidRequest`` whose ``target``
  names the field; a body that is not a JSON object is 400 ``InvalidRequestBody``; unknown fields
  are ignored; an unknown id is 404 ``NotFound``;
- a missing api-version is 400 ``ApiVersionUnspecified``, an unknown one 400
  ``UnsupportedApiVersion`` (as on Purview's other services);
- business domains: a client's ``id`` is kept (the spec's example suggests the service may make its
  own); an id in use is 409 ``AlreadyExists``; a name used under the same parent is 409
  ``DuplicateName`` (case-insensitive); ``parentId`` must name an existing domain, not the domain or
  one below it (400); deleting a domain that holds data products or sub-domains is 409
  ``DomainNotEmpty``; the server's ``domains`` list is always ``[]``; ``writeOnly`` is ignored;
  unpublishing a domain leaves its published products as they are;
- data products: publishing in a domain that is not ``PUBLISHED`` is 400 ``DomainNotPublished``
  (the portal requires a published governance domain); a name used in the same domain is 409
  ``DuplicateName`` (case-insensitive); any status may follow any other; ``expiredAt``/``expiredBy``
  are set when the product becomes ``EXPIRED`` and cleared when it leaves it; ``…/query/count``
  counts names containing ``nameKeyword`` (case-insensitive); in ``…/query`` ``status`` and
  ``multiStatus`` together mean either, ``dataProductOwner=true`` keeps products whose owners
  include the caller, and ``orderby``/``managedAttributes`` are ignored; ``termsOfUse`` and
  ``documentation`` entries need ``url`` and ``name``;
- data assets: ``source.assetId`` must be the guid of an ``ACTIVE`` Data Map entity of the account
  (400 ``InvalidRequest``, target ``source.assetId``); a second asset for the same Data Map asset is
  409 ``AlreadyExists`` naming the first; ``includingOrphans`` absent means true; ``assetTypes``
  match the Atlas type names;
- paging: the domain list's ``nextLink`` carries ``$skipToken`` (``skipToken`` is read too); the
  other lists page by ``skip``/``top`` (``top`` capped at the emulator's page size); a query's
  ``nextLink`` is the query URL with the next ``skip``, to which the caller POSTs the same body;
- relationships: creating one that exists answers 200 with the existing edge, unchanged; deleting
  one that does not exist answers 204; the product side takes the spec's keyed-map body and a flat
  ``{"entityId", …}`` alike; relating to a category the emulator holds nothing of is 404;
- the rate limit (100 requests per 20-second window, documented without its scope) is counted per
  caller (the token's ``oid``) over catalog requests only; the 429 is ``TooManyRequests`` with
  ``Retry-After`` in whole seconds.
"""

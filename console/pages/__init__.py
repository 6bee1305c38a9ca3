"""One module per page family; each has `routes`, an aiohttp RouteTableDef, which console.app mounts."""

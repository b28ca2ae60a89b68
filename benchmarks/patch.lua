-- wrk script: PATCH the seeded products in turn, each with `If-Match` set to the ETag its last
-- answer carried, so every request is a real conditional, audited change.
-- Arguments: a file of "slug id version" lines, and a word that makes this run's values new.

local products = {}
local versions = {}
local counter = 0
local run = "run"

function init(args)
  for line in io.lines(args[1]) do
    local slug, id, version = line:match("^(%S+) (%S+) (%S+)$")
    if slug then
      products[#products + 1] = { slug = slug, id = id }
      versions[id] = version
    end
  end
  run = args[2] or run
end

function request()
  counter = counter + 1
  local product = products[(counter % #products) + 1]
  -- A table of headers replaces wrk's own (`-H`), so they are copied in.
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["Content-Type"] = "application/json"
  headers["If-Match"] = '"' .. product.id .. ":" .. versions[product.id] .. '"'
  local body = '{"summary": "' .. run .. " change " .. counter .. '"}'
  return wrk.format("PATCH", "/api/v1/products/" .. product.slug, headers, body)
end

function response(status, headers, body)
  local etag = headers["etag"] or headers["ETag"]
  if etag then
    local id, version = etag:match('^"([^:]+):(%d+)"$')
    if id then
      versions[id] = version
    end
  end
end

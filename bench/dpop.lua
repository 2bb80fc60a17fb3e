-- wrk script for scripts/bench: GET with a DPoP-bound token (DPOP_TOKEN), each request carrying
-- the next proof of the file DPOP_PROOFS (one per line, made by bench/dpop_proofs.mjs), since a
-- proof is good once. Read line by line: the client holds one proof at a time. When the file
-- runs out, the last proof goes again and the server refuses it (401): counted as non-2xx by wrk
-- and shown in the report, never hidden.
local token, path = os.getenv("DPOP_TOKEN"), os.getenv("DPOP_PROOFS")
local proofs, last

function init(args)
  proofs = assert(io.open(path, "r"))
  wrk.headers["Authorization"] = "DPoP " .. token
  wrk.headers["Connection"] = "keep-alive"
end

function request()
  last = proofs:read("*l") or last
  wrk.headers["DPoP"] = last
  return wrk.format()
end

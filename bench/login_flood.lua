-- wrk script for scripts/bench: POST /login with alice's real password, so that every request
-- runs bcrypt (cost 12) on the provider's worker threads. The quickstart runs with
-- FAUTH_LOGIN_LIMITS=off for this, or the throttle would answer 429 without hashing.
wrk.method = "POST"
wrk.body = "username=alice&password=s3cret"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Connection"] = "keep-alive"

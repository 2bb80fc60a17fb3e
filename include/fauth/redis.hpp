/// @file
/// fauth/redis.hpp — fauth's Redis-backed parts in one include: the revocation store, the login
/// throttle, the DPoP replay cache and their connection options. Link fauth::redis.
#pragma once

#include "fauth/redis/options.hpp"           // RedisOptions, redis:// URLs
#include "fauth/redis/replay_cache.hpp"      // RedisReplayCache
#include "fauth/redis/revocation_store.hpp"  // RedisRevocationStore
#include "fauth/redis/throttle.hpp"          // RedisThrottle

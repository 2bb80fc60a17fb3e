"""The FastAPI peer of the quickstart's GET /me: HS256 bearer (PyJWT), user from a dict.

Run by scripts/bench:  FAUTH_SECRET_KEY=... python3 -m uvicorn fastapi_me:app --port PORT
It verifies the same tokens the quickstart issues (same secret, same claims) and answers the
same body, so that the two are compared doing the same work.
"""
import os

import jwt
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

SECRET = os.environ["FAUTH_SECRET_KEY"]
USERS = {
    "user-123": {"username": "alice", "active": True, "roles": ["admin"]},
    "user-456": {"username": "bob", "active": True, "roles": ["member"]},
    "user-789": {"username": "carol", "active": False, "roles": []},
}

app = FastAPI()
bearer = HTTPBearer(auto_error=False)


def unauthorized():
    return HTTPException(status_code=401, detail="Could not validate credentials",
                         headers={"WWW-Authenticate": "Bearer"})


async def current_user(credentials: HTTPAuthorizationCredentials = Depends(bearer)):
    if credentials is None:
        raise unauthorized()
    try:
        claims = jwt.decode(credentials.credentials, SECRET, algorithms=["HS256"],
                            options={"require": ["exp", "sub", "jti"]})
    except jwt.PyJWTError:
        raise unauthorized()
    if claims.get("token_type") != "access":
        raise unauthorized()
    user = USERS.get(claims["sub"])
    if user is None or not user["active"]:
        raise unauthorized()
    return user


@app.get("/me")
async def me(user=Depends(current_user)):
    return {"message": "Hello " + user["username"]}

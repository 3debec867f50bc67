# Signs a request with botocore's SigV4 signer and prints it as JSON (used by sigv4 tests).
import json, sys
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

a = json.loads(sys.argv[1])
creds = Credentials(a["key"], a["secret"], a.get("token") or None)
req = AWSRequest(method=a["method"], url=a["url"], data=a.get("body", "").encode(), headers=a.get("headers", {}))
if a.get("presign"):
    SigV4QueryAuth(creds, a["service"], a["region"], expires=a["presign"]).add_auth(req)
else:
    SigV4Auth(creds, a["service"], a["region"]).add_auth(req)
p = req.prepare()
print(json.dumps({"method": p.method, "url": p.url, "headers": dict(p.headers.items())}))

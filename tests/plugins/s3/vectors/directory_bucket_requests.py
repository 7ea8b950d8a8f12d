# How the expected directory-bucket requests in express_session_test.cc
# were made: botocore (an independent implementation of SigV4 and the
# s3express session flow) signs CreateSession and a session GetObject at a
# frozen clock, and this prints what it would send. Run with botocore
# installed; pass --sts to give the base credentials a session token.
import sys
import datetime, botocore.session, botocore.auth
from botocore.awsrequest import AWSResponse

FROZEN = datetime.datetime(2026, 11, 24, 12, 0, 0)
class FrozenDT(datetime.datetime):
    @classmethod
    def utcnow(cls): return FROZEN
    @classmethod
    def now(cls, tz=None): return FROZEN.replace(tzinfo=tz) if tz else FROZEN
botocore.auth.datetime.datetime = FrozenDT

s = botocore.session.get_session()
c = s.create_client('s3', region_name='us-east-1', aws_access_key_id='AKIDEXAMPLE',
                    aws_secret_access_key='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
                    aws_session_token='BASESTSTOKEN' if '--sts' in sys.argv else None)
seen = []
class Raw:
    def __init__(self, b): self.b = b
    def stream(self, **kw): yield self.b
def send(request, **kw):
    seen.append(request)
    if 'session' in request.url:
        body = b'''<?xml version="1.0" encoding="UTF-8"?><CreateSessionResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Credentials><SessionToken>TESTSESSIONTOKEN</SessionToken><SecretAccessKey>TESTSESSIONSECRET</SecretAccessKey><AccessKeyId>ASIASESSIONKEY</AccessKeyId><Expiration>2026-11-24T12:05:00Z</Expiration></Credentials></CreateSessionResult>'''
    else:
        body = b'hello'
    r = AWSResponse(request.url, 200, {'content-length': str(len(body))}, Raw(body))
    r._content = body
    return r
c.meta.events.register('before-send.s3', send)
c.get_object(Bucket='mybucket--use1-az4--x-s3', Key='ckpt/dump a.tar.zst', Range='bytes=0-4')
for r in seen:
    print(r.method, r.url)
    for k, v in sorted(r.headers.items()):
        print('  ', k, ':', v.decode() if isinstance(v, bytes) else v)

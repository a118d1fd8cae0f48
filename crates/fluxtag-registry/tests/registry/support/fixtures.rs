//! Fixed credentials for the real registry's auth modes, generated once and committed.
//!
//! The htpasswd line is bcrypt (cost 5) of [`HTPASSWD_PASSWORD`]. The token-signing certificate is
//! a throw-away self-signed RSA certificate whose private key was discarded after signing the two
//! JWTs below (issuer `fluxtag-test-issuer`, audience `fluxtag-test-registry`, valid until 2100).
//! None of these protect anything outside the tests.

/// The user of the htpasswd file and of the token server.
pub const TEST_USER: &str = "tester";
/// The password of [`TEST_USER`].
pub const HTPASSWD_PASSWORD: &str = "tester-password-1";
/// One htpasswd line: `tester:` + bcrypt of [`HTPASSWD_PASSWORD`].
pub const HTPASSWD_LINE: &str =
    "tester:$2y$05$wPZLN8SYR4nEXxe8GSr40u4e/cDqa39D0JAA.Uya2WNgo7R8ZEh/G";

/// The registry's `auth.token.service`.
pub const TOKEN_SERVICE: &str = "fluxtag-test-registry";
/// The registry's `auth.token.issuer`.
pub const TOKEN_ISSUER: &str = "fluxtag-test-issuer";
/// The repository that [`TOKEN_TESTER`] may pull from and push to.
pub const TOKEN_REPOSITORY: &str = "secure/app";

/// The registry's `auth.token.rootcertbundle`.
pub const TOKEN_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIDKzCCAhOgAwIBAgIUQ+wXDigmA5623jhQ7bkTYWZIYNQwDQYJKoZIhvcNAQEL
BQAwJDEiMCAGA1UEAwwZZmx1eHRhZy10ZXN0LXRva2VuLXNpZ25lcjAgFw0yNjEx
MjUyMTU5NTVaGA8yMTI2MTEwMTIxNTk1NVowJDEiMCAGA1UEAwwZZmx1eHRhZy10
ZXN0LXRva2VuLXNpZ25lcjCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEB
AJldd4jnOK40y0xMLDHYpqcjU1oit93/QBfVkpyUaNRf41baCGmmuNGxKuNYVMQP
wGnDjwpCJFahk5AQb25aNm/PP+tz9ngs7zD4iG+DyGKM+3DOcsBHaoodUrADRTRo
m7eeQ0GxyhUl48eKPlAMVzebKWEvI0SMmxVpX+XXWtCocxCXioiOL8HuV5O7DZA8
aa5Tciz7y3kgPT0WGnEV5kF0aXAHWuWafF5qwBVBwgfTFxnCWn417PpOfGAwd9ao
NEP6DZYaX3fq7meLjM6dVJrZt+v/53oX1sJbI54/gBDCsKbGDCSHm0RK/bnLf0va
7alKVpV2vWXzpP/PpJxUe0sCAwEAAaNTMFEwHQYDVR0OBBYEFKrpk4hlZRINDzf/
v8IIx/2hqFtIMB8GA1UdIwQYMBaAFKrpk4hlZRINDzf/v8IIx/2hqFtIMA8GA1Ud
EwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEBAE2w1dr6aMmWTnAuM6g9iTWv
REe1uGFXQBpW55Yw4RbJhTMSUQkqyjmvuBTGxvXfuCYPWJ5ElC9EP78plolV59Ss
YDYI7p6MHeUJzYvrWLrnvYEF4VPJ00oK0RHsDBnxfGUOtyhDPUsGIOwlw655eTwc
f3SMKo1tNLxiVKSpEc4HFtCN8IcIYX3Wp8SSwzrvGB1YCN84lZm43ytS2h9DVLx4
isIoAJCQn/Xo3N3ZZbAxW1LFY6D0V3jM5PT8U34UCacGCkuHkCSIUGf/YGna+/3t
dGowkQt02MHxpGSvgkB1L1ACQYW5/g49bHyeXDWMJaMBfj/tRe1PZ2erj0v5MuU=
-----END CERTIFICATE-----
";

/// A JWT for `tester` with `pull` and `push` on [`TOKEN_REPOSITORY`].
pub const TOKEN_TESTER: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6IkZOVU46STJPUjpOSTZJOjU1UTc6T0dGSzo1NDU1Ok1XRUw6WFYyUDpUSDdaOkRZR1g6WFVCQTpCS0VUIn0.eyJpc3MiOiJmbHV4dGFnLXRlc3QtaXNzdWVyIiwic3ViIjoidGVzdGVyIiwiYXVkIjoiZmx1eHRhZy10ZXN0LXJlZ2lzdHJ5IiwiZXhwIjo0MTAyNDQ0ODAwLCJuYmYiOjE3MDAwMDAwMDAsImlhdCI6MTcwMDAwMDAwMCwianRpIjoiZmx1eHRhZy10ZXN0LTEiLCJhY2Nlc3MiOlt7InR5cGUiOiJyZXBvc2l0b3J5IiwibmFtZSI6InNlY3VyZS9hcHAiLCJhY3Rpb25zIjpbInB1bGwiLCJwdXNoIl19XX0.VqnwNYpKf85-NseVIJCusxBj4Ta61CPoMCq5Ch1CISOTgv2Y7ZAeRYok7DicwSHc97dM-dqA5_cdGzqdXZGmOySgIINXwLl0VvAGTSXrsDZfQZCqTrWZTTL0XhG4VDsOBsKjTk-84aiJmVkxLLcarHWJfzm0TyHpXoEfrIDJZ_2x4Aa7yh9FM2JG7_ZGloAZ04_W-FVhFjj11YLldpxsK_MvQ_b-TZDaCnDZ3cSOxlXp4dxypGOxnDWRe9_vF_oO71iVSu1DCWDcbU1Yr92E24qknwpIob7yEBFpmDtjzM_PvecVDB8Um9D6aT8MQsHZlylMIb5F5KpSWB8G9B7J4g";

/// A JWT with no access at all: what an anonymous user gets.
pub const TOKEN_ANONYMOUS: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6IkZOVU46STJPUjpOSTZJOjU1UTc6T0dGSzo1NDU1Ok1XRUw6WFYyUDpUSDdaOkRZR1g6WFVCQTpCS0VUIn0.eyJpc3MiOiJmbHV4dGFnLXRlc3QtaXNzdWVyIiwic3ViIjoiIiwiYXVkIjoiZmx1eHRhZy10ZXN0LXJlZ2lzdHJ5IiwiZXhwIjo0MTAyNDQ0ODAwLCJuYmYiOjE3MDAwMDAwMDAsImlhdCI6MTcwMDAwMDAwMCwianRpIjoiZmx1eHRhZy10ZXN0LTIiLCJhY2Nlc3MiOltdfQ.Hp8jrQWtL4k2Xwt8rCgEPIuz18I6lug0rroR2PTUQogAIemPqU8VM688edX7XoTEf64s8jTViJuJ0_LA2QvT9i1eejtHHf9uyK8_aGm660mCQ83chHoTFacdDjmeYvWv8sbv9JdHlZv6YlmW_qvKno6omgT59sNEM8IA-yxB3bjtQ2CW5y9htbEILWt-f9szLpH_LYssrmDLlmXGF-jDK9BhsFkQX5eU8MFdn4JP5EfbvG3VXuIYmUd2AOpjNUw1Qa3losX1Z7xtb5X0nbZeoOmhLcGcI3tRgMkUzGU7Kp7nEudZ_7d50a5CR-c2fkK0E1G-ceDgNH0CV6ZQzsd8BA";

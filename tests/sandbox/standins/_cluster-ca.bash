# shellcheck shell=bash disable=SC2034
# SANDBOX_CLUSTER_CA is read by the stand-ins that source this file.
# The sandbox cluster's CA certificate: what kubeadm join finds in the cluster-info ConfigMap and embeds in
# kubelet.conf. RSA 2048, CN kubernetes, as kubeadm makes it; its key was thrown away, since nothing here
# is signed with it. tests/sandbox/joins.ts reads it from this file to pin its hash (CA_HASH), as a
# JoinConfiguration pins the real cluster's.
SANDBOX_CLUSTER_CA='-----BEGIN CERTIFICATE-----
MIIDDDCCAfSgAwIBAgITVrAHds3S1IqkiCR4gtwwTf9sMTANBgkqhkiG9w0BAQsF
ADAVMRMwEQYDVQQDDAprdWJlcm5ldGVzMCAXDTI2MTIwMTIxMjIzNFoYDzIxMjYx
MTA3MjEyMjM0WjAVMRMwEQYDVQQDDAprdWJlcm5ldGVzMIIBIjANBgkqhkiG9w0B
AQEFAAOCAQ8AMIIBCgKCAQEAvqPXfcaXOQkW1u6hygofoem8gZwTMPXfscnT4Wx3
yV8U1nBFbKH45Gqxy1zNQPuz+xUxpPOGxcfvQ3KKd4n3jJdJ5ohZVciqXVuXXFvG
gKCPRsjCCXAofz92ieQ4W7Ixd/vuomNPYSsbPMTejJTvhqbe67DQn9kFyknECWQA
P3g9bQECR+qkS7fGBsbB1ldprvgXT93cdV4eKb/b3u/UmOM6xPiuKICEnrkZonSr
P6BbkjwwN6tZdcE9uMj0n0xsloQ7BLxhD5Qybfna1tdkg4ylzDJxWRnFmHPuJdGw
Gcg56zmMo69C9LeGO6cvZ5Pzj2ZNIO28wvKkNWKlFiKF+wIDAQABo1MwUTAdBgNV
HQ4EFgQUKVixQcwdtSu14a8Pi17Mko6wi18wHwYDVR0jBBgwFoAUKVixQcwdtSu1
4a8Pi17Mko6wi18wDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEA
JBSe4udrFzMThWdF3/Q4wV9CpxCg64DCFrk3jpnmBiOcNN81kpIjGi7tvOA4VDRZ
MW5blwtdTpjJefB3tNPLY9hjvmlZFSu4sFjSd65vGx4XAP6H4en6dM1g4wLlciix
piPxoht8juBM5PXqhPDp7DfQldl5ZOGDPWPDkyGJYzA1Rn28bnH+/qP8LejLOWdY
NdQiulJId3zOmKqxVDfcQA1KZK2VvtcOPWGeY/x5GpolOGM720j+iK/zJ+w/MRyw
pR8WuuB9hh9xjw9Fna4sdIDdsKQp/RymGt3OLZJzVKOkW50sF9iFBgqKMWCECGUC
ocWjBmaolt8szV2j3WzEoA==
-----END CERTIFICATE-----
'

#include "wire/ikev2_types.h"

#include "wire/name_table.h"

#include <cstddef>

namespace ikegate::wire {

namespace {

using detail::find_name;
using detail::Named;

constexpr Named<ExchangeType> kExchangeNames[] = {
    {ExchangeType::IKE_SA_INIT, "IKE_SA_INIT"},
    {ExchangeType::IKE_AUTH, "IKE_AUTH"},
    {ExchangeType::CREATE_CHILD_SA, "CREATE_CHILD_SA"},
    {ExchangeType::INFORMATIONAL, "INFORMATIONAL"},
};

constexpr Named<PayloadType> kPayloadNames[] = {
    {PayloadType::NONE, "NONE"},       {PayloadType::SA, "SA"},
    {PayloadType::KE, "KE"},           {PayloadType::IDi, "IDi"},
    {PayloadType::IDr, "IDr"},         {PayloadType::CERT, "CERT"},
    {PayloadType::CERTREQ, "CERTREQ"}, {PayloadType::AUTH, "AUTH"},
    {PayloadType::NONCE, "Ni/Nr"},    {PayloadType::NOTIFY, "N"},
    {PayloadType::DELETE, "D"},        {PayloadType::VENDOR_ID, "V"},
    {PayloadType::TSi, "TSi"},         {PayloadType::TSr, "TSr"},
    {PayloadType::SK, "SK"},           {PayloadType::CP, "CP"},
    {PayloadType::EAP, "EAP"},         {PayloadType::SKF, "SKF"},
};

constexpr Named<ProtocolId> kProtocolNames[] = {
    {ProtocolId::NONE, "NONE"},
    {ProtocolId::IKE, "IKE"},
    {ProtocolId::AH, "AH"},
    {ProtocolId::ESP, "ESP"},
};

constexpr Named<TransformType> kTransformTypeNames[] = {
    {TransformType::ENCR, "ENCR"}, {TransformType::PRF, "PRF"}, {TransformType::INTEG, "INTEG"},
    {TransformType::DH, "D-H"},    {TransformType::ESN, "ESN"},
};

constexpr Named<NotifyType> kNotifyNames[] = {
    {NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD, "UNSUPPORTED_CRITICAL_PAYLOAD"},
    {NotifyType::INVALID_IKE_SPI, "INVALID_IKE_SPI"},
    {NotifyType::INVALID_MAJOR_VERSION, "INVALID_MAJOR_VERSION"},
    {NotifyType::INVALID_SYNTAX, "INVALID_SYNTAX"},
    {NotifyType::INVALID_MESSAGE_ID, "INVALID_MESSAGE_ID"},
    {NotifyType::INVALID_SPI, "INVALID_SPI"},
    {NotifyType::NO_PROPOSAL_CHOSEN, "NO_PROPOSAL_CHOSEN"},
    {NotifyType::INVALID_KE_PAYLOAD, "INVALID_KE_PAYLOAD"},
    {NotifyType::AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED"},
    {NotifyType::SINGLE_PAIR_REQUIRED, "SINGLE_PAIR_REQUIRED"},
    {NotifyType::NO_ADDITIONAL_SAS, "NO_ADDITIONAL_SAS"},
    {NotifyType::INTERNAL_ADDRESS_FAILURE, "INTERNAL_ADDRESS_FAILURE"},
    {NotifyType::FAILED_CP_REQUIRED, "FAILED_CP_REQUIRED"},
    {NotifyType::TS_UNACCEPTABLE, "TS_UNACCEPTABLE"},
    {NotifyType::INVALID_SELECTORS, "INVALID_SELECTORS"},
    {NotifyType::TEMPORARY_FAILURE, "TEMPORARY_FAILURE"},
    {NotifyType::CHILD_SA_NOT_FOUND, "CHILD_SA_NOT_FOUND"},
    {NotifyType::INITIAL_CONTACT, "INITIAL_CONTACT"},
    {NotifyType::SET_WINDOW_SIZE, "SET_WINDOW_SIZE"},
    {NotifyType::ADDITIONAL_TS_POSSIBLE, "ADDITIONAL_TS_POSSIBLE"},
    {NotifyType::IPCOMP_SUPPORTED, "IPCOMP_SUPPORTED"},
    {NotifyType::NAT_DETECTION_SOURCE_IP, "NAT_DETECTION_SOURCE_IP"},
    {NotifyType::NAT_DETECTION_DESTINATION_IP, "NAT_DETECTION_DESTINATION_IP"},
    {NotifyType::COOKIE, "COOKIE"},
    {NotifyType::USE_TRANSPORT_MODE, "USE_TRANSPORT_MODE"},
    {NotifyType::HTTP_CERT_LOOKUP_SUPPORTED, "HTTP_CERT_LOOKUP_SUPPORTED"},
    {NotifyType::REKEY_SA, "REKEY_SA"},
    {NotifyType::ESP_TFC_PADDING_NOT_SUPPORTED, "ESP_TFC_PADDING_NOT_SUPPORTED"},
    {NotifyType::NON_FIRST_FRAGMENTS_ALSO, "NON_FIRST_FRAGMENTS_ALSO"},
    {NotifyType::MOBIKE_SUPPORTED, "MOBIKE_SUPPORTED"},
    {NotifyType::AUTH_LIFETIME, "AUTH_LIFETIME"},
    {NotifyType::MULTIPLE_AUTH_SUPPORTED, "MULTIPLE_AUTH_SUPPORTED"},
    {NotifyType::REDIRECT_SUPPORTED, "REDIRECT_SUPPORTED"},
    {NotifyType::EAP_ONLY_AUTHENTICATION, "EAP_ONLY_AUTHENTICATION"},
    {NotifyType::CHILDLESS_IKEV2_SUPPORTED, "CHILDLESS_IKEV2_SUPPORTED"},
    {NotifyType::IKEV2_FRAGMENTATION_SUPPORTED, "IKEV2_FRAGMENTATION_SUPPORTED"},
    {NotifyType::SIGNATURE_HASH_ALGORITHMS, "SIGNATURE_HASH_ALGORITHMS"},
};

constexpr Named<IdType> kIdNames[] = {
    {IdType::ID_IPV4_ADDR, "ID_IPV4_ADDR"},     {IdType::ID_FQDN, "ID_FQDN"},
    {IdType::ID_RFC822_ADDR, "ID_RFC822_ADDR"}, {IdType::ID_IPV6_ADDR, "ID_IPV6_ADDR"},
    {IdType::ID_DER_ASN1_DN, "ID_DER_ASN1_DN"}, {IdType::ID_DER_ASN1_GN, "ID_DER_ASN1_GN"},
    {IdType::ID_KEY_ID, "ID_KEY_ID"},
};

constexpr Named<AuthMethod> kAuthNames[] = {
    {AuthMethod::RSA_SIG, "RSA Digital Signature"},
    {AuthMethod::SHARED_KEY_MIC, "Shared Key Message Integrity Code"},
    {AuthMethod::DSS, "DSS Digital Signature"},
    {AuthMethod::ECDSA_SHA256_P256, "ECDSA with SHA-256 on the P-256 curve"},
    {AuthMethod::ECDSA_SHA384_P384, "ECDSA with SHA-384 on the P-384 curve"},
    {AuthMethod::ECDSA_SHA512_P521, "ECDSA with SHA-512 on the P-521 curve"},
    {AuthMethod::DIGITAL_SIGNATURE, "Digital Signature"},
};

constexpr Named<TsType> kTsNames[] = {
    {TsType::TS_IPV4_ADDR_RANGE, "TS_IPV4_ADDR_RANGE"},
    {TsType::TS_IPV6_ADDR_RANGE, "TS_IPV6_ADDR_RANGE"},
};

constexpr Named<CfgType> kCfgTypeNames[] = {
    {CfgType::CFG_REQUEST, "CFG_REQUEST"},
    {CfgType::CFG_REPLY, "CFG_REPLY"},
    {CfgType::CFG_SET, "CFG_SET"},
    {CfgType::CFG_ACK, "CFG_ACK"},
};

constexpr Named<CfgAttr> kCfgAttrNames[] = {
    {CfgAttr::INTERNAL_IP4_ADDRESS, "INTERNAL_IP4_ADDRESS"},
    {CfgAttr::INTERNAL_IP4_NETMASK, "INTERNAL_IP4_NETMASK"},
    {CfgAttr::INTERNAL_IP4_DNS, "INTERNAL_IP4_DNS"},
    {CfgAttr::INTERNAL_IP4_NBNS, "INTERNAL_IP4_NBNS"},
    {CfgAttr::INTERNAL_IP4_DHCP, "INTERNAL_IP4_DHCP"},
    {CfgAttr::APPLICATION_VERSION, "APPLICATION_VERSION"},
    {CfgAttr::INTERNAL_IP6_ADDRESS, "INTERNAL_IP6_ADDRESS"},
    {CfgAttr::INTERNAL_IP6_DNS, "INTERNAL_IP6_DNS"},
    {CfgAttr::INTERNAL_IP6_DHCP, "INTERNAL_IP6_DHCP"},
    {CfgAttr::INTERNAL_IP4_SUBNET, "INTERNAL_IP4_SUBNET"},
    {CfgAttr::SUPPORTED_ATTRIBUTES, "SUPPORTED_ATTRIBUTES"},
    {CfgAttr::INTERNAL_IP6_SUBNET, "INTERNAL_IP6_SUBNET"},
};

constexpr Named<CertEncoding> kCertNames[] = {
    {CertEncoding::PKCS7_WRAPPED_X509, "PKCS #7 wrapped X.509 certificate"},
    {CertEncoding::PGP_CERTIFICATE, "PGP Certificate"},
    {CertEncoding::DNS_SIGNED_KEY, "DNS Signed Key"},
    {CertEncoding::X509_CERTIFICATE_SIGNATURE, "X.509 Certificate - Signature"},
    {CertEncoding::KERBEROS_TOKEN, "Kerberos Token"},
    {CertEncoding::CRL, "Certificate Revocation List (CRL)"},
    {CertEncoding::ARL, "Authority Revocation List (ARL)"},
    {CertEncoding::SPKI_CERTIFICATE, "SPKI Certificate"},
    {CertEncoding::X509_CERTIFICATE_ATTRIBUTE, "X.509 Certificate - Attribute"},
    {CertEncoding::RAW_RSA_KEY, "Raw RSA Key"},
    {CertEncoding::HASH_AND_URL_X509_CERTIFICATE, "Hash and URL of X.509 certificate"},
    {CertEncoding::HASH_AND_URL_X509_BUNDLE, "Hash and URL of X.509 bundle"},
};

}  // namespace

std::string_view name(ExchangeType v) { return find_name(kExchangeNames, v); }
std::string_view name(PayloadType v) { return find_name(kPayloadNames, v); }
std::string_view name(ProtocolId v) { return find_name(kProtocolNames, v); }
std::string_view name(TransformType v) { return find_name(kTransformTypeNames, v); }
std::string_view name(NotifyType v) { return find_name(kNotifyNames, v); }
std::string_view name(IdType v) { return find_name(kIdNames, v); }
std::string_view name(AuthMethod v) { return find_name(kAuthNames, v); }
std::string_view name(TsType v) { return find_name(kTsNames, v); }
std::string_view name(CfgType v) { return find_name(kCfgTypeNames, v); }
std::string_view name(CfgAttr v) { return find_name(kCfgAttrNames, v); }
std::string_view name(CertEncoding v) { return find_name(kCertNames, v); }

bool is_known(PayloadType v) { return !find_name(kPayloadNames, v).empty(); }

}  // namespace ikegate::wire

<?php
// Mint an mpesa-gateway client token in a merchant's backend with firebase/php-jwt
// (`composer install` here, or `composer require firebase/php-jwt` in your project).
//   php mint_token.php <key-id> <secret> <subject> <scopes, e.g. stk,b2c> [ttl-seconds]
require __DIR__ . '/vendor/autoload.php';

use Firebase\JWT\JWT;

function mint_token(
    string $keyId,
    string $secret,
    string $subject,
    array $scopes,
    int $ttl = 3600,
    ?int $maxWithdrawal = null,
    ?string $phone = null
): string {
    $claims = ['sub' => $subject, 'exp' => time() + $ttl, 'scope' => implode(' ', $scopes)];
    if ($maxWithdrawal !== null) {
        $claims['max_withdrawal'] = $maxWithdrawal;
    }
    if ($phone !== null) {
        $claims['phone'] = $phone;
    }
    return JWT::encode($claims, $secret, 'HS256', $keyId);
}

if (PHP_SAPI === 'cli' && realpath($argv[0]) === __FILE__) {
    [, $keyId, $secret, $subject, $scopes] = $argv;
    $ttl = isset($argv[5]) ? (int) $argv[5] : 3600;
    echo mint_token($keyId, $secret, $subject, explode(',', $scopes), $ttl), PHP_EOL;
}

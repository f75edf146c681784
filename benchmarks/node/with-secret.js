'use strict';
// Deployed-path reference: `node with-secret.js <reference>` reads the settings secret the way a
// Node function in AWS would at cold start, through the AWS SDK v3 (one GetSecretValue; the
// endpoint comes from AWS_ENDPOINT_URL_SECRETS_MANAGER, here the local moto server), puts its
// keys into process.env, then loads <reference> and answers the event with its handler.
const { event, finish, fail } = require('./common');
const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');

async function main(reference) {
  const client = new SecretsManagerClient({});
  const answer = await client.send(new GetSecretValueCommand({ SecretId: process.env.APP_SECRET_ARN }));
  Object.assign(process.env, JSON.parse(answer.SecretString));
  const { handler } = require(`./${reference}`);
  return handler(event);
}

main(process.argv[2]).then(finish, fail);

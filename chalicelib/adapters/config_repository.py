"""DynamoConfigRepository: configs and their uniqueness claims, written in one transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.configs import Config, ConfigContent
from chalicelib.services.ports import ConfigRepository

from .conditions import write_with_claims
from .dynamo_models import ConfigModel as M
from .dynamo_models import connection

CONFIG, CLAIM = "CONFIG#", "CLAIM#"


def _to_item(config: Config) -> M:
    return M(
        ent_code=config.ent_code,
        sk=CONFIG + config.config_id,
        config_id=config.config_id,
        body=json.dumps(config.content.as_json(), ensure_ascii=False),
        created_by=config.created_by,
        created_at=config.created_at,
        updated_at=config.updated_at,
        version=config.version,
    )


def _from_item(item: M) -> Config:
    return Config(
        config_id=item.config_id,
        ent_code=item.ent_code,
        content=ConfigContent.model_validate(json.loads(item.body)),
        created_by=item.created_by,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version),
    )


class DynamoConfigRepository(ConfigRepository):
    def __init__(self, region: str | None = None) -> None:
        self._region = region

    def list(self, ent_code: str) -> list[Config]:
        return [_from_item(i) for i in M.query(ent_code, M.sk.startswith(CONFIG), consistent_read=True)]

    def get(self, ent_code: str, config_id: str) -> Config | None:
        try:
            return _from_item(M.get(ent_code, CONFIG + config_id, consistent_read=True))
        except DoesNotExist:
            return None

    def save(self, config: Config, claims: set[str], previous: Config | None, previous_claims: set[str]) -> None:
        added, dropped = claims - previous_claims, previous_claims - claims
        guard = M.sk.does_not_exist() if previous is None else (M.version == previous.version)
        ops = [("save", _to_item(config), guard)]
        ops += [("save", self._claim(config, key), M.sk.does_not_exist()) for key in sorted(added)]
        ops += [("delete", self._claim(config, key), M.config_id == config.config_id) for key in sorted(dropped)]
        self._transact(ops)

    def delete(self, config: Config, claims: set[str]) -> None:
        ops = [("delete", _to_item(config), M.version == config.version)]
        ops += [("delete", self._claim(config, key), M.config_id == config.config_id) for key in sorted(claims)]
        self._transact(ops)

    @staticmethod
    def _claim(config: Config, key: str) -> M:
        return M(ent_code=config.ent_code, sk=CLAIM + key, config_id=config.config_id, updated_at=config.updated_at)

    def _transact(self, ops: Sequence[tuple[str, M, object]]) -> None:
        write_with_claims(ops, connection(self._region), CLAIM)

"""Seed the agencies of REFERENCE.md (data migration; `registry agencies` manages them afterwards)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# code, name_vi, name_en, kind, parent, bank_bin, valid_from, valid_to, successor
AGENCIES = [
    ("NSC389", "Văn phòng thường trực Ban Chỉ đạo 389 quốc gia", "Standing Office of the National Steering Committee 389", "state_body", None, None, None, None, None),
    ("MOIT", "Bộ Công Thương", "Ministry of Industry and Trade", "state_body", None, None, None, None, None),
    ("MOIT-ECOM", "Cục Thương mại điện tử và Kinh tế số", "E-commerce and Digital Economy Agency", "state_body", "MOIT", None, None, None, None),
    ("MOIT-DMS", "Cục Quản lý và Phát triển thị trường trong nước", "Domestic Market Surveillance and Development Department", "state_body", "MOIT", None, None, None, None),
    ("MOST", "Bộ Khoa học và Công nghệ", "Ministry of Science and Technology", "state_body", None, None, None, None, None),
    ("MIC", "Cục Viễn thông (chức năng chặn tên miền, IP)", "Telecom authority (domain and IP blocking)", "state_body", "MOST", None, None, None, None),
    ("MPS", "Bộ Công an", "Ministry of Public Security", "state_body", None, None, None, None, None),
    ("MPS-C03", "Cục Cảnh sát điều tra tội phạm về tham nhũng, kinh tế, buôn lậu, môi trường", "Economic police (C03)", "state_body", "MPS", None, None, None, None),
    ("MPS-A05", "Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao", "Cyber security department (A05)", "state_body", "MPS", None, None, None, None),
    ("MOF", "Bộ Tài chính", "Ministry of Finance", "state_body", None, None, None, None, None),
    ("GDC", "Tổng cục Hải quan", "General Department of Customs", "state_body", "MOF", None, "2000-01-01", "2025-02-28", "MOF-CUSTOMS"),
    ("MOF-CUSTOMS", "Cục Hải quan", "Customs", "state_body", "MOF", None, "2025-03-01", None, None),
    ("MOF-TAX", "Cục Thuế", "Tax", "state_body", "MOF", None, "2025-03-01", None, None),
    ("SBV", "Ngân hàng Nhà nước Việt Nam", "State Bank of Vietnam", "state_body", None, None, None, None, None),
    ("SPP", "Viện kiểm sát nhân dân tối cao", "Supreme People's Procuracy", "state_body", None, None, None, None, None),
    ("SPC", "Tòa án nhân dân tối cao", "Supreme People's Court", "state_body", None, None, None, None, None),
    ("MOJ-THADS", "Cục Quản lý thi hành án dân sự", "Civil judgment enforcement", "state_body", None, None, None, None, None),
    ("PROV-HN", "Ban Chỉ đạo 389 thành phố Hà Nội", "Hanoi 389 Steering Committee", "province", None, None, None, None, None),
    ("PROV-HCM", "Ban Chỉ đạo 389 Thành phố Hồ Chí Minh", "Ho Chi Minh City 389 Steering Committee", "province", None, None, None, None, None),
    ("PROV-DN", "Ban Chỉ đạo 389 thành phố Đà Nẵng", "Da Nang 389 Steering Committee", "province", None, None, None, None, None),
    ("VNNIC", "Trung tâm Internet Việt Nam", "Vietnam Internet Network Information Center (.vn registry)", "domain_registry", "MOST", None, None, None, None),
    ("ISP-VNPT", "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)", "VNPT", "executor_isp", None, None, None, None, None),
    ("ISP-VIETTEL", "Tập đoàn Công nghiệp - Viễn thông Quân đội (Viettel)", "Viettel", "executor_isp", None, None, None, None, None),
    ("ISP-FPT", "Công ty Cổ phần Viễn thông FPT", "FPT Telecom", "executor_isp", None, None, None, None, None),
    ("BANK-970436", "Ngân hàng TMCP Ngoại Thương Việt Nam", "Vietcombank", "executor_bank", None, "970436", None, None, None),
    ("BANK-970418", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam", "BIDV", "executor_bank", None, "970418", None, None, None),
    ("BANK-970407", "Ngân hàng TMCP Kỹ thương Việt Nam", "Techcombank", "executor_bank", None, "970407", None, None, None),
    ("BANK-970415", "Ngân hàng TMCP Công thương Việt Nam", "VietinBank", "executor_bank", None, "970415", None, None, None),
    ("BANK-970405", "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam", "Agribank", "executor_bank", None, "970405", None, None, None),
    ("BANK-970422", "Ngân hàng TMCP Quân đội", "MBBank", "executor_bank", None, "970422", None, None, None),
    ("VECOM", "Hiệp hội Thương mại điện tử Việt Nam", "Vietnam E-commerce Association", "association", None, None, None, None, None),
    ("VICOPA", "Hội Bảo vệ người tiêu dùng Việt Nam", "Vietnam Consumer Protection Association", "association", None, None, None, None, None),
    ("AUDIT", "Thanh tra Chính phủ (kiểm toán nhật ký truy cập)", "Government Inspectorate (access-log auditors)", "oversight", None, None, None, None, None),
]  # fmt: skip

agency = sa.table(
    "agency",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name_vi", sa.String),
    sa.column("name_en", sa.String),
    sa.column("kind", sa.String),
    sa.column("parent_id", sa.Integer),
    sa.column("bank_bin", sa.String),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
    sa.column("successor_id", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    for code, vi, en, kind, _parent, bank_bin, valid_from, valid_to, _successor in AGENCIES:
        conn.execute(
            agency.insert().values(
                code=code, name_vi=vi, name_en=en, kind=kind, bank_bin=bank_bin,
                valid_from=date.fromisoformat(valid_from or "2000-01-01"),
                valid_to=date.fromisoformat(valid_to) if valid_to else None, created_at=now,
            )
        )  # fmt: skip
    ids = {row.code: row.id for row in conn.execute(sa.select(agency.c.code, agency.c.id))}
    for code, _vi, _en, _kind, parent, _bin, _from, _to, successor in AGENCIES:
        if parent or successor:
            conn.execute(
                agency.update()
                .where(agency.c.code == code)
                .values(parent_id=ids.get(parent), successor_id=ids.get(successor))
            )


def downgrade() -> None:
    op.get_bind().execute(agency.delete().where(agency.c.code.in_([row[0] for row in AGENCIES])))

"""The retCodes the course meets, with Bybit's messages (``reference/errors.md``).

A refusal travels as HTTP 200 with a non-zero ``retCode`` and a ``retMsg``; a
few (unknown path, IP ban) use another HTTP status. :data:`MESSAGES` holds the
fixed wording where Bybit's is fixed; codes whose message names the request
(10001, 10002, 10004, most order codes) are worded where they are raised.
"""
from __future__ import annotations

# General codes (errors.md, section 2)
PARAM_ERROR = 10001
TIMESTAMP_ERROR = 10002
INVALID_KEY = 10003
SIGN_ERROR = 10004
PERMISSION_DENIED = 10005
UNMATCHED_IP = 10010           # the key is bound to other IP addresses
TOO_MANY_VISITS = 10006
SERVER_ERROR = 10016
ROUTE_NOT_FOUND = 10017
API_KEY_EXPIRED = 33004
IP_BANNED = 10018
OP_NOT_FOUND = 10404           # WebSocket Trade: unknown "op"

NOT_FOR_UNIFIED = 100028      # a classic-account endpoint called by a unified account

# Derivatives order codes (section 3)
ORDER_NOT_EXISTS = 110001
INSUFFICIENT_AVAILABLE = 110007
ORDER_COMPLETED = 110008
STOP_ORDERS_EXCEEDED = 110009     # too many untriggered conditional orders on one symbol
INSUFFICIENT_FOR_LEVERAGE = 110012
LEVERAGE_OVER_RISK_LIMIT = 110013      # set-leverage above what the position's risk tier allows
ADD_MARGIN_INSUFFICIENT = 110014       # add-margin beyond the available balance
CROSS_MARGIN_POSITION = 110015         # "The position is in cross margin mode."
QTY_TRUNCATED = 110017
SWITCH_WITH_POSITION = 110024     # switch-mode on a symbol that holds a position
POSITION_MODE_NOT_MODIFIED = 110025
SWITCH_WITH_OPEN_ORDERS = 110028  # switch-mode on a symbol with open orders
HEDGE_NOT_SUPPORTED = 110029      # hedge mode on anything but a USDT perpetual
NO_RISK_LIMIT_INFO = 110031       # set-risk-limit with a riskId the symbol does not have
NO_POSITION_FOR_MARGIN = 110033   # add-margin with no open position
MARGIN_MODE_NOT_MODIFIED = 110026
LEVERAGE_NOT_MODIFIED = 110043
DUPLICATE_ORDER_LINK_ID = 110072
SET_MARGIN_MODE_FAILED = 110073
AUTO_ADD_MARGIN_ISOLATED_ONLY = 110076
REDUCE_MARGIN_TOO_MUCH = 110078   # add-margin taking back more than the initial margin allows
TPSL_NOT_MODIFIED = 34040          # trading-stop with the values already set
TPSL_SIZE_TOO_LARGE = 110058      # a Partial TP/SL bigger than the position
TPSL_PARTLY_FILLED = 110059       # amending the TP/SL of an order that has partly filled
TOO_MANY_PARTIAL = 110061         # a 21st Partial TP/SL on one position
TRIGGER_EXPECT_RISING = 110092    # triggerDirection=1 but triggerPrice <= current price
TRIGGER_EXPECT_FALLING = 110093   # triggerDirection=2 but triggerPrice >= current price
RISK_LIMIT_EXCEEDED = 110090      # an order taking the position beyond what its leverage allows
NOTIONAL_TOO_LOW = 110094

# Asset codes: transfers between the funding and unified accounts
TRANSFER_AMOUNT_ACCURACY = 131210
TRANSFER_SAME_ACCOUNT = 131211
TRANSFER_INSUFFICIENT = 131212
TRANSFER_ID_EXISTS = 131214
TRANSFER_AMOUNT_ERROR = 131215

# Account settings, loans and position moves (error.mdx: UTA, Manual Loan sections)
NO_MMP_INFO = 110062               # MMP asked for a base coin the account has no MMP for
SPOT_HEDGING_PM_ONLY = 140001      # set-hedging-mode outside portfolio margin
COLLATERAL_NOT_SWITCHABLE = 182111  # USDT, USDC or an unknown coin
DUPLICATE_CURRENCY = 182112        # a coin twice in one collateral batch
NO_LIABILITY_IN_COIN = 182102      # quick-repayment with nothing borrowed
MARGIN_TRADING_OFF = 34022036      # manual borrow while spot margin trading is off
NO_BORROWED_COINS = 34022041       # repay / no-convert-repay with nothing borrowed
# Sub-accounts and universal transfers (Asset, User and UTA sections)
INVALID_MEMBER_ID = 131202             # a universal transfer names a UID outside the master's family
SUB_NO_UNIVERSAL_PERMISSION = 131227   # a sub key without Wallet "SubMemberTransferList"
TRANSFER_SAFE_AMOUNT = 131228          # universal transfer: "your balance is not enough"
SUB_NOT_NORMAL = 141004                # the sub-account is frozen
SUB_HAS_ASSETS = 141025
SUB_CANNOT_AGREE = 141027
NOT_YOUR_SUB = 500010                  # a UID that is not one of this master's sub-accounts
# Asset codes: withdrawals (the docs' error page, "Asset")
WITHDRAW_CHAIN_MISMATCH = 131002    # "Withdraw address chain or destination tag are not equal"
WITHDRAW_TO_ONESELF = 131075        # "InternalAddressCannotBeYourself"
WITHDRAW_UNKNOWN_RECEIVER = 131077  # "receive user not exist"
WITHDRAW_NO_TAG = 131081            # "Do not input memo/tag,please."
WITHDRAW_REPEATED = 131082          # "Do not repeat the request" (a requestId used before)
WITHDRAW_NOT_IN_BOOK = 131083       # "Withdraw only allowed from address book"
WITHDRAW_LIMITS = 131096            # "Withdraw amount does not satify the lower limit or upper limit"
WITHDRAW_NOT_CANCELLABLE = 131099   # "Hot wallet status can cancel the withdraw"

# Convert codes (the docs' "Convert Guideline" and error page)
CONVERT_QUOTE_TYPE = 700002         # "quote fail: not support quote type" (requestCoin other than fromCoin)
CONVERT_ORDER_NOT_EXISTS = 700004   # "order does not exist"
CONVERT_INSUFFICIENT = 700005       # "Your available balance is insufficient or wallet does not exist"
CONVERT_LOW_AMOUNT = 700006         # "Low amount limit"
CONVERT_LARGE_AMOUNT = 700007       # "Large amount limit"
CONVERT_EXPIRED = 700008            # "quote fail: price time out"
CONVERT_QUOTE_USED = 700009         # "quoteTxId has already been used"
CONVERT_NOT_SUPPORTED = 700013      # "the current coin does not support convert"

# Spot codes (section 4)
SPOT_INVALID_SYMBOL = 170121
SPOT_BALANCE_INSUFFICIENT = 170131
SPOT_PRICE_DECIMAL = 170134
SPOT_QTY_TOO_LOW = 170136
SPOT_QTY_DECIMAL = 170137
SPOT_VALUE_TOO_LOW = 170140
SPOT_DUPLICATE_LINK_ID = 170141
SPOT_ORDER_NOT_EXISTS = 170213
SPOT_QTY_TOO_LARGE = 170381

MESSAGES: dict[int, str] = {
    PARAM_ERROR: "Request parameter error.",
    INVALID_KEY: "API key is invalid.",
    SIGN_ERROR: "error sign!",
    TOO_MANY_VISITS: "Too many visits!",
    NOT_FOR_UNIFIED: "The API cannot be accessed by unified account users.",
    CROSS_MARGIN_POSITION: "The position is in cross margin mode.",
    SWITCH_WITH_POSITION: "You have an existing position, so the position mode cannot be switched.",
    POSITION_MODE_NOT_MODIFIED: "Position mode has not been modified.",
    SWITCH_WITH_OPEN_ORDERS: "You have existing open orders, so the position mode cannot be switched.",
    HEDGE_NOT_SUPPORTED: "Hedge mode is not supported for this symbol.",
    MARGIN_MODE_NOT_MODIFIED: "Cross/isolated margin mode has not been modified.",
    AUTO_ADD_MARGIN_ISOLATED_ONLY: "Only isolated mode can set auto-add-margin",
    ADD_MARGIN_INSUFFICIENT: "Insufficient available balance to add additional margin.",
    NO_POSITION_FOR_MARGIN: "You can't set margin without an open position",
    NO_RISK_LIMIT_INFO: "Non-existing risk limit info, please check the risk limit rules.",
    TPSL_SIZE_TOO_LARGE: "You can't set take profit and stop loss due to insufficient size of remaining position size.",
    TOO_MANY_PARTIAL: "Not allowed to have more than 20 TP/SLs under Partial tpSlMode",
    SET_MARGIN_MODE_FAILED: "Set margin mode failed",
    REDUCE_MARGIN_TOO_MUCH: "Added margin more than max can reduce margin",
    NO_MMP_INFO: "There is no MMP information of the institution found.",
    SPOT_HEDGING_PM_ONLY: "Switching the PM spot hedging switch is not allowed in non PM mode",
    COLLATERAL_NOT_SWITCHABLE: "The requested currency has a non guaranteed gold currency or does not support "
                               "switching status currencies",
    DUPLICATE_CURRENCY: "Duplicate currency, please re-adjust",
    NO_LIABILITY_IN_COIN: "Failed repayment, there are no liabilities in the current currency",
    MARGIN_TRADING_OFF: "Please enable Margin Trading to continue.",
    NO_BORROWED_COINS: "Currently, your account has no borrowed coins. No repayments are needed.",
    INVALID_MEMBER_ID: "Invalid memberId",
    SUB_NO_UNIVERSAL_PERMISSION: "subaccount do not have universal transfer permission",
    TRANSFER_SAFE_AMOUNT: "your balance is not enough. Please check transfer safe amount",
    SUB_NOT_NORMAL: "sub member is not normal",
    SUB_HAS_ASSETS: "This subaccount has assets and cannot be deleted",
    SUB_CANNOT_AGREE: "Sub account cannot accept agreement",
    NOT_YOUR_SUB: "The subaccount specified does not belong to the parent account",
}
"""The fixed ``retMsg`` of a code (the start of it, for 10004, which then quotes what was signed)."""
